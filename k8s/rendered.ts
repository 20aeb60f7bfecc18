import { execFileSync } from 'node:child_process';

/** The fields of rendered objects these checks read; each kind fills its own. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field in the test
  spec?: any;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    configMapKeyRef?: { name: string; key: string };
    fieldRef?: { fieldPath: string };
  };
}

export interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name: string; containerPort: number }[];
  // biome-ignore lint/suspicious/noExplicitAny: probes, resources and lifecycle are read by the test
  [field: string]: any;
}

/** YAML stream -> objects, with PyYAML (Debian python3-yaml; no YAML parser among the npm deps). */
export function parseYamlStream(yaml: string): K8sObject[] {
  const script = 'import json, sys, yaml; print(json.dumps([d for d in yaml.safe_load_all(sys.stdin) if d]))';
  return JSON.parse(execFileSync('python3', ['-c', script], { input: yaml, encoding: 'utf8' }));
}

/**
 * A container's environment as the kubelet would give it. Values of Secrets that an overlay
 * expects to exist (not rendered) come from `external`; downward-API fields from `fieldValues`.
 */
export function containerEnv(
  container: Container,
  objects: K8sObject[],
  external: (secret: string, key: string) => string,
): Map<string, string> {
  const find = (kind: string, name: string) =>
    objects.find((object) => object.kind === kind && object.metadata.name === name);
  const decoded = (secret: K8sObject, key: string) =>
    secret.stringData?.[key] ?? Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8');
  const env = new Map<string, string>();
  for (const source of container.envFrom ?? []) {
    const ref = source.configMapRef ?? source.secretRef;
    const object = ref && find(source.configMapRef ? 'ConfigMap' : 'Secret', ref.name);
    if (!object) throw new Error(`${container.name}: envFrom ${ref?.name} is not rendered`);
    for (const key of Object.keys(object.data ?? object.stringData ?? {}))
      env.set(key, object.kind === 'Secret' ? decoded(object, key) : (object.data?.[key] ?? ''));
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    let value = variable.value ?? '';
    if (from?.configMapKeyRef) {
      const map = find('ConfigMap', from.configMapKeyRef.name);
      if (!map?.data || !Object.hasOwn(map.data, from.configMapKeyRef.key))
        throw new Error(`${container.name}: ${variable.name} names a missing ConfigMap key`);
      value = map.data[from.configMapKeyRef.key] ?? '';
    } else if (from?.secretKeyRef) {
      const secret = find('Secret', from.secretKeyRef.name);
      value = secret
        ? decoded(secret, from.secretKeyRef.key)
        : external(from.secretKeyRef.name, from.secretKeyRef.key);
    } else if (from?.fieldRef) {
      value = from.fieldRef.fieldPath === 'status.podIP' ? '10.1.2.3' : `pod-${from.fieldRef.fieldPath}`;
    }
    env.set(
      variable.name,
      value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (match, name: string) => env.get(name) ?? match),
    );
  }
  return env;
}
