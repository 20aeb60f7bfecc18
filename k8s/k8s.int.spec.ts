import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@celeriac/tests/harness/stack-env';
import { beforeAll, describe, expect, it } from 'vitest';
import { schemaFields } from '../infra/docs/schema-fields';
import { SERVICE_CONFIGS, type ServiceConfig } from '../infra/docs/service-configs';
import { launchOf } from './container-launch';
import { goTool, KUBECONFORM, KUSTOMIZE, schemaFileName, standaloneSchemas } from './k8s-tools';
import { type Container, containerEnv, type K8sObject, parseYamlStream } from './rendered';

// Renders every overlay with kustomize, validates each object against the Kubernetes schemas with
// kubeconform, and checks the workloads against the code they run: the command is the entry file
// and heap cap of the service's own npm script, every variable set is one the service's config
// schema reads (and the environment parses), probes and scrape ports are the configured ports,
// grace periods exceed the shutdown deadlines of main.ts.
// Custom resources are not schema-checked (their CRDs are the operators'): Strimzi's Kafka,
// KafkaNodePool and KafkaTopic, CloudNativePG's Cluster, the Prometheus Operator's ServiceMonitor.
const CUSTOM_KINDS = ['Kafka', 'KafkaNodePool', 'KafkaTopic', 'Cluster', 'ServiceMonitor'];
const OVERLAYS = ['dev', 'production', 'strimzi-cnpg'];
// Secrets an overlay expects the operator to create: sample values of the documented shape.
const EXTERNAL_SECRETS: Record<string, string> = {
  'celeriac/CELERIAC_DATABASE_URL': 'postgres://celeriac:pw@db:5432/celeriac',
  'celeriac/CELERIAC_SECRET_KEY': Buffer.alloc(32, 7).toString('base64'),
  'celeriac/CELERIAC_CONTROL_TOKEN': 'a-control-token-of-32-characters',
  'celeriac-pg-app/uri': 'postgresql://celeriac:pw@celeriac-pg-rw.celeriac:5432/celeriac',
};

let kustomize: string;
let kubeconform: string;
const rendered = new Map<string, { yaml: string; objects: K8sObject[] }>();
beforeAll(() => {
  kustomize = goTool(KUSTOMIZE);
  kubeconform = goTool(KUBECONFORM);
  for (const overlay of OVERLAYS) {
    const yaml = execFileSync(kustomize, ['build', join(REPO_ROOT, 'k8s/overlays', overlay)], {
      encoding: 'utf8',
    });
    rendered.set(overlay, { yaml, objects: parseYamlStream(yaml) });
  }
}, 1_200_000);

function serviceOf(container: Container): ServiceConfig {
  const { entry } = launchOf(container, REPO_ROOT);
  const service = SERVICE_CONFIGS.find((candidate) => candidate.entry === entry);
  if (!service) throw new Error(`${container.name} runs ${entry}, which is no Celeriac entry point`);
  return service;
}

function workloads(objects: K8sObject[]) {
  return objects
    .filter((object) => object.kind === 'Deployment' || object.kind === 'Job')
    .flatMap((object) =>
      [...(object.spec.template.spec.initContainers ?? []), ...object.spec.template.spec.containers].map(
        (container: Container) => ({ object, container, service: serviceOf(container) }),
      ),
    );
}

const mebibytes = (quantity: string) =>
  Number(quantity.replace(/Mi$/, '')) * (quantity.endsWith('Gi') ? 1024 : 1);

describe.each(OVERLAYS)('k8s overlay %s', (overlay) => {
  const get = () => rendered.get(overlay) as { yaml: string; objects: K8sObject[] };

  it('validates against the Kubernetes schemas (custom resources skipped)', () => {
    const { yaml, objects } = get();
    const builtIn = objects.filter((object) => !CUSTOM_KINDS.includes(object.kind));
    const dir = standaloneSchemas(builtIn.map((object) => schemaFileName(object.apiVersion, object.kind)));
    const args = ['-strict', '-verbose', '-output', 'json', '-skip', CUSTOM_KINDS.join(',')];
    const output = execFileSync(
      kubeconform,
      [...args, '-schema-location', `${dir}/{{ .ResourceKind }}{{ .KindSuffix }}.json`, '-'],
      { input: yaml, encoding: 'utf8' },
    );
    const report = JSON.parse(output) as {
      resources: { kind: string; name: string; status: string; msg: string }[];
    };
    const byStatus = (status: string) => report.resources.filter((r) => r.status === status);
    expect(byStatus('statusInvalid').concat(byStatus('statusError'))).toEqual([]);
    expect(byStatus('statusValid').length).toBe(builtIn.length);
    expect(byStatus('statusSkipped').length).toBe(objects.length - builtIn.length);
  });

  it('runs each service with its own entry file and heap cap, within memory limits above that cap', () => {
    for (const { container, service } of workloads(get().objects)) {
      expect(existsSync(join(REPO_ROOT, service.entry))).toBe(true);
      const pkg = JSON.parse(readFileSync(join(REPO_ROOT, service.workspace, 'package.json'), 'utf8'));
      const script: string = service.script
        ? pkg.scripts[service.script]
        : `node --import tsx ${service.entry}`;
      const launch = launchOf(container, REPO_ROOT);
      const heap = Number(/--max-old-space-size=(\d+)/.exec(script)?.[1] ?? 0) || undefined;
      expect({ service: service.name, heap: launch.heapMb }).toEqual({ service: service.name, heap });
      // Spelled out in the manifest, the command is the npm script's, run from the repository root.
      if (launch.command) {
        const fromRoot = script
          .split(' ')
          .map((word) => (word.startsWith('src/') ? `${service.workspace}/${word}` : word));
        expect(launch.command).toEqual(fromRoot);
      }
      const { requests, limits } = container.resources;
      expect(mebibytes(limits.memory)).toBeGreaterThanOrEqual((heap ?? 128) * 1.5);
      expect(requests.memory).toBe(limits.memory);
    }
  });

  it('sets only variables the service reads, every one it reads, and a valid environment', () => {
    const { objects } = get();
    for (const { container, service } of workloads(objects)) {
      const env = containerEnv(container, objects, (secret, key) => {
        const value = EXTERNAL_SECRETS[`${secret}/${key}`];
        if (value === undefined)
          throw new Error(`${container.name}: unknown external secret ${secret}/${key}`);
        return value;
      });
      const fields = schemaFields(service.schema);
      const known = new Set(fields.map((field) => field.key));
      // A variable outside the schema is allowed only as a building block of another one's $(NAME).
      const references = (container.env ?? []).map((variable) => variable.value ?? '').join(' ');
      const unknown = [...env.keys()].filter((key) => !known.has(key) && !references.includes(`$(${key})`));
      expect({ service: service.name, unknown }).toEqual({ service: service.name, unknown: [] });
      // Optional variables without a default (CELERIAC_DEFAULT_CONNECTION...) may stay unset.
      const settable = fields.filter((field) => field.required || field.defaultValue !== undefined);
      const unset = settable.filter((field) => !env.has(field.key));
      expect({ service: service.name, unset: unset.map((field) => field.key) }).toEqual({
        service: service.name,
        unset: [],
      });
      const parsed = service.schema.safeParse(Object.fromEntries(env));
      expect({ service: service.name, issues: parsed.error?.issues ?? [] }).toEqual({
        service: service.name,
        issues: [],
      });
    }
  });

  it('probes and scrapes the configured ports, with grace periods above the shutdown deadlines', () => {
    const { objects } = get();
    for (const { object, container, service } of workloads(objects).filter(
      (w) => w.object.kind === 'Deployment',
    )) {
      const env = Object.fromEntries(
        containerEnv(container, objects, (s, k) => EXTERNAL_SECRETS[`${s}/${k}`] ?? ''),
      );
      const config = service.schema.parse(env) as Record<string, unknown>;
      const port = Number(
        config.opsPort ?? config.CELERIAC_PROJECTOR_OPS_PORT ?? config.CELERIAC_GATEWAY_PORT,
      );
      const portOf = (name: string) => container.ports?.find((p) => p.name === name)?.containerPort;
      expect(portOf(container.readinessProbe.httpGet.port)).toBe(port);
      expect(portOf(container.livenessProbe.httpGet.port)).toBe(port);
      expect([container.readinessProbe.httpGet.path, container.livenessProbe.httpGet.path]).toEqual([
        '/readyz',
        '/healthz',
      ]);
      expect(object.spec.template.metadata.annotations['prometheus.io/port']).toBe(String(port));
      if (service.name === 'collector') {
        expect(portOf('grpc')).toBe(config.grpcPort);
        expect(config.grpcAdvertise).toBe(`10.1.2.3:${config.grpcPort}`);
      }
      if (service.name === 'gateway' && config.CELERIAC_GATEWAY_PEERS_ENABLED) {
        // Each replica is dialled by the others at its own pod IP, on a port only gateways may reach.
        expect(portOf('peers')).toBe(config.CELERIAC_GATEWAY_PEER_PORT);
        expect(config.CELERIAC_GATEWAY_PEER_ADDRESS).toBe(`10.1.2.3:${config.CELERIAC_GATEWAY_PEER_PORT}`);
        const policy = objects.find(
          (o) => o.kind === 'NetworkPolicy' && o.spec.podSelector.matchLabels?.app === 'celeriac-gateway',
        );
        expect(policy?.spec.ingress).toContainEqual({
          from: [{ podSelector: { matchLabels: { app: 'celeriac-gateway' } } }],
          ports: [{ protocol: 'TCP', port: 'peers' }],
        });
      }
      const main = readFileSync(join(REPO_ROOT, service.entry), 'utf8');
      const deadlineMs = Number(/shutdownDeadlineMs:\s*([\d_]+)/.exec(main)?.[1]?.replaceAll('_', ''));
      const preStop = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
      expect(object.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(
        deadlineMs / 1000 + preStop,
      );
    }
  });

  it('names the same topics everywhere, with enough partitions for the projector replicas', () => {
    const { objects } = get();
    const topics = new Map<string, Set<string>>();
    // Topic variables (CELERIAC_*_TOPIC) as each process sees them, its default when unset.
    for (const { container, service } of workloads(objects)) {
      const env = containerEnv(container, objects, (s, k) => EXTERNAL_SECRETS[`${s}/${k}`] ?? '');
      for (const field of schemaFields(service.schema).filter((f) => f.key.endsWith('_TOPIC'))) {
        const value = env.get(field.key) ?? field.defaultValue ?? '';
        topics.set(field.key, (topics.get(field.key) ?? new Set<string>()).add(value));
      }
    }
    expect([...topics.values()].map((names) => names.size)).toEqual([1, 1]);
    const projectors = objects.find(
      (o) => o.kind === 'Deployment' && o.metadata.name === 'celeriac-projector',
    );
    const kafkaTopics = objects.filter((object) => object.kind === 'KafkaTopic');
    if (kafkaTopics.length > 0) {
      // Operator-managed topics (the topics step is removed): they must be the ones the services use.
      const wanted = [...topics.values()].flatMap((names) => [...names]).sort();
      expect(kafkaTopics.map((topic) => topic.spec.topicName).sort()).toEqual(wanted);
      const events = kafkaTopics.find(
        (topic) => topic.spec.topicName === [...(topics.get('CELERIAC_EVENTS_TOPIC') ?? [])][0],
      );
      expect(events?.spec.partitions).toBeGreaterThanOrEqual(projectors?.spec.replicas);
    } else {
      const job = objects.find((object) => object.kind === 'Job');
      const step = job?.spec.template.spec.initContainers[0] as Container;
      const env = containerEnv(step, objects, () => '');
      expect(Number(env.get('CELERIAC_EVENTS_PARTITIONS'))).toBeGreaterThanOrEqual(projectors?.spec.replicas);
    }
  });

  it('runs the migrate Job first, budgets disruptions, autoscales the gateway', () => {
    const { objects } = get();
    const job = objects.find((object) => object.kind === 'Job');
    expect(job?.metadata.annotations?.['argocd.argoproj.io/hook']).toBe('PreSync');
    expect(job?.metadata.labels?.['celeriac.io/stage']).toBe('pre-rollout');
    for (const kind of ['ConfigMap', 'Namespace'])
      for (const object of objects.filter((o) => o.kind === kind))
        expect(object.metadata.labels?.['celeriac.io/stage']).toBe('pre-rollout');
    const deployments = objects.filter((object) => object.kind === 'Deployment');
    const budgets = objects.filter((object) => object.kind === 'PodDisruptionBudget');
    for (const deployment of deployments)
      expect(budgets.map((b) => b.spec.selector.matchLabels.app)).toContain(
        deployment.spec.selector.matchLabels.app,
      );
    const hpa = objects.find((object) => object.kind === 'HorizontalPodAutoscaler');
    expect(hpa?.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'celeriac-gateway',
    });
    expect(objects.filter((object) => object.kind === 'NetworkPolicy').length).toBeGreaterThanOrEqual(4);
  });
});
