import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness/stack-env';

// Who may open a connection to each port of each Celeriac pod, worked out from the manifests the way
// the NetworkPolicy API defines it: a pod selected by no Ingress policy takes anyone; a selected pod
// takes only what some rule of a selecting policy allows (a rule without `from` allows anyone).
// No YAML parser is among the dependencies; PyYAML (Debian python3-yaml, installed by npm test) is.

// The base holds every Deployment and NetworkPolicy; overlays only resize and re-point them.
const K8S = join(REPO_ROOT, 'k8s/base');
interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: unknown[];
}
interface Rule {
  from?: Record<string, unknown>[];
  ports?: { port?: string | number }[];
}
interface ContainerPort {
  name: string;
  containerPort: number;
}
/** The fields of the manifests this test reads; each kind fills its own. */
interface Manifest {
  apiVersion: string;
  kind: string;
  resources?: string[];
  spec: {
    podSelector: Selector;
    policyTypes?: string[];
    ingress?: Rule[];
    template: {
      metadata: { labels: Record<string, string> };
      spec: { containers: { ports?: ContainerPort[] }[] };
    };
  };
}

function loadManifests(file: string): Manifest[] {
  const script =
    'import json, sys, yaml; print(json.dumps([d for d in yaml.safe_load_all(open(sys.argv[1])) if d]))';
  return JSON.parse(execFileSync('python3', ['-c', script, join(K8S, file)], { encoding: 'utf8' }));
}

/** JSON with sorted keys, so two equal selectors compare equal whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonical(inner)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function selects(selector: Selector, labels: Record<string, string>): boolean {
  if (selector.matchExpressions) throw new Error('matchExpressions are not evaluated by this test');
  return Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
}

const files = readdirSync(K8S).filter((name) => name.endsWith('.yaml'));
const documents = files.flatMap(loadManifests);
const policies = documents.filter((doc) => doc.kind === 'NetworkPolicy');
const ingressPolicies = policies.filter((doc) => (doc.spec.policyTypes ?? ['Ingress']).includes('Ingress'));

/** `<app>:<port name>` -> the peers allowed in, canonical JSON, or 'anyone'. */
function reachability(): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const deployment of documents.filter((doc) => doc.kind === 'Deployment')) {
    const labels: Record<string, string> = deployment.spec.template.metadata.labels;
    const selecting = ingressPolicies.filter((policy) => selects(policy.spec.podSelector, labels));
    for (const port of deployment.spec.template.spec.containers.flatMap((c) => c.ports ?? [])) {
      const rules = selecting
        .flatMap((policy) => policy.spec.ingress ?? [])
        .filter(
          (rule) =>
            !rule.ports || rule.ports.some((p) => p.port === port.name || p.port === port.containerPort),
        );
      const peers =
        selecting.length === 0
          ? ['anyone']
          : rules.flatMap((rule) => (rule.from?.length ? rule.from.map(canonical) : ['anyone']));
      result[`${labels.app}:${port.name}`] = [...new Set(peers)].sort();
    }
  }
  return result;
}

describe('k8s manifests', () => {
  it('parse, and the base kustomization.yaml applies every manifest', () => {
    for (const doc of documents)
      expect(doc).toMatchObject({ apiVersion: expect.any(String), kind: expect.any(String) });
    const [kustomization] = loadManifests('kustomization.yaml');
    const expected = files.filter((name) => name !== 'kustomization.yaml');
    expect([...(kustomization?.resources ?? [])].sort()).toEqual(expected.sort());
  });

  it('deny ingress to every pod of the namespace unless a policy allows it', () => {
    const denyAll = ingressPolicies.filter((policy) => canonical(policy.spec.podSelector) === '{}');
    expect(denyAll.map((policy) => policy.spec.ingress ?? [])).toEqual([[]]);
  });

  it('let only the gateway be reached from outside, its peer port and the collector gRPC from gateways, metrics from Prometheus', () => {
    const prometheus = canonical({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
    });
    const gateways = canonical({ podSelector: { matchLabels: { app: 'celeriac-gateway' } } });
    expect(reachability()).toEqual({
      'celeriac-gateway:http': ['anyone'],
      'celeriac-gateway:peers': [gateways],
      'celeriac-collector:grpc': [gateways],
      'celeriac-collector:ops': [prometheus],
      'celeriac-projector:ops': [prometheus],
    });
  });
});
