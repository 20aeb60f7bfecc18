import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@celeriac/tests/harness/stack-env';

// kustomize and kubeconform from `go install` (pinned, cached in a git-ignored directory), and the
// Kubernetes JSON schemas offline: kubeconform fetches schemas from the network at run time, which
// CI cannot reach, so they come from the `kubernetes-validate` wheel on PyPI instead.
export const KUSTOMIZE = 'sigs.k8s.io/kustomize/kustomize/v5@v5.8.2'; // v5.8.3 needs Go 1.27
export const KUBECONFORM = 'github.com/yannh/kubeconform/cmd/kubeconform@v0.8.0';
const SCHEMAS_WHEEL = 'kubernetes-validate==1.37.0';
export const KUBERNETES_VERSION = '1.33.0';

// CELERIAC_K8S_TOOLS_DIR moves the cache; CELERIAC_PYTHON (set by the int setup) is a Python with pip.
const { CELERIAC_K8S_TOOLS_DIR, CELERIAC_PYTHON } = process.env;
const TOOLS = CELERIAC_K8S_TOOLS_DIR ?? join(REPO_ROOT, 'infra/local/.work/k8s-tools');

/** Path of the binary built from `module@version`; built once per version. */
export function goTool(spec: string): string {
  const [module = '', version = ''] = spec.split('@');
  const name =
    module
      .split('/')
      .filter((part) => !/^v\d+$/.test(part))
      .at(-1) ?? module;
  const binary = join(TOOLS, `${name}-${version}`);
  if (existsSync(binary)) return binary;
  const gobin = join(TOOLS, 'gobin');
  mkdirSync(gobin, { recursive: true });
  execFileSync('go', ['install', spec], {
    cwd: TOOLS,
    env: { ...process.env, GOBIN: gobin, GOTOOLCHAIN: 'local' },
    stdio: 'inherit',
    timeout: 900_000,
  });
  renameSync(join(gobin, name), binary);
  return binary;
}

/** The schema directory of one Kubernetes version out of the wheel, downloaded once. */
function wheelSchemas(): string {
  const root = join(TOOLS, 'kubernetes-validate');
  const dir = join(root, `kubernetes_validate/kubernetes-json-schema/v${KUBERNETES_VERSION}-local-strict`);
  if (existsSync(join(dir, '_definitions.json'))) return dir;
  mkdirSync(root, { recursive: true });
  const python = CELERIAC_PYTHON ?? 'python3';
  execFileSync(
    python,
    ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '-d', root, SCHEMAS_WHEEL],
    {
      stdio: 'inherit',
      timeout: 300_000,
    },
  );
  const wheel = readdirSync(root).find((name) => name.endsWith('.whl'));
  if (!wheel) throw new Error(`pip left no wheel in ${root}`);
  const extract = `import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
z.extractall(sys.argv[2], [n for n in z.namelist() if sys.argv[3] in n])`;
  execFileSync('python3', ['-c', extract, join(root, wheel), root, `v${KUBERNETES_VERSION}-local-strict/`]);
  return dir;
}

/**
 * A directory kubeconform can read with `{{ .ResourceKind }}{{ .KindSuffix }}.json` for the given
 * file names: the wheel's schemas point into a shared `/api/_definitions.json`, which kubeconform
 * cannot resolve, so each one is rewritten standalone with the definitions inlined.
 */
export function standaloneSchemas(fileNames: string[]): string {
  const source = wheelSchemas();
  const target = join(TOOLS, `schemas-v${KUBERNETES_VERSION}-strict`);
  mkdirSync(target, { recursive: true });
  let definitions: unknown;
  for (const name of fileNames) {
    if (existsSync(join(target, name)) || !existsSync(join(source, name))) continue;
    definitions ??= JSON.parse(readFileSync(join(source, '_definitions.json'), 'utf8')).$defs;
    const text = readFileSync(join(source, name), 'utf8').replaceAll('"/api/_definitions.json#', '"#');
    writeFileSync(join(target, name), JSON.stringify({ ...JSON.parse(text), $defs: definitions }));
  }
  return target;
}

/** kubeconform's file name for a kind: `deployment-apps-v1.json`, `service-v1.json`. */
export function schemaFileName(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const suffix = group ? `-${group.split('.')[0]}-${version}` : `-${version}`;
  return `${kind.toLowerCase()}${suffix}.json`;
}
