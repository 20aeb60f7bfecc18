import { randomBytes } from 'node:crypto';
import { freePort } from './free-port';
import { type Launch, type ServiceProcess, startService } from './service-process';

/** `listening`: do not wait for readiness (a dependency is down on purpose). */
export interface StartOptions {
  waitUntil?: 'ready' | 'listening';
  /** Another way to run it, e.g. the image's compiled entrypoint; tsx on the sources by default. */
  launch?: Launch;
}

/** A collector as deployed, on ports of its own; `grpcAddress` is what its lease advertises. */
export async function startCollector(
  env: Record<string, string>,
  options: StartOptions = {},
): Promise<ServiceProcess & { grpcAddress: string }> {
  const [opsPort, grpcPort] = await Promise.all([freePort(), freePort()]);
  const grpcAddress = `127.0.0.1:${grpcPort}`;
  const service = await startService({
    name: 'collector',
    env: {
      ...env,
      CELERIAC_COLLECTOR_OPS_PORT: String(opsPort),
      CELERIAC_COLLECTOR_GRPC_PORT: String(grpcPort),
      CELERIAC_COLLECTOR_GRPC_ADVERTISE: grpcAddress,
    },
    readyUrl: `http://127.0.0.1:${opsPort}/readyz`,
    waitUntil: options.waitUntil,
    launch: options.launch,
  });
  return Object.assign(service, { grpcAddress });
}

/** A projector as deployed, in a consumer group of its own unless `group` names one. */
export async function startProjector(
  env: Record<string, string>,
  group?: string,
  options: StartOptions = {},
): Promise<ServiceProcess> {
  const opsPort = await freePort();
  return startService({
    name: 'projector',
    env: {
      ...env,
      CELERIAC_PROJECTOR_OPS_PORT: String(opsPort),
      CELERIAC_PROJECTOR_GROUP: group ?? `test-${randomBytes(4).toString('hex')}`,
    },
    readyUrl: `http://127.0.0.1:${opsPort}/readyz`,
    waitUntil: options.waitUntil,
    launch: options.launch,
  });
}

/** A gateway as deployed on loopback; `url` is its base URL. */
export async function startGateway(
  env: Record<string, string>,
  /** `port`: a given one, e.g. a restart at the address its clients already use. */
  options: StartOptions & { port?: number } = {},
): Promise<ServiceProcess & { url: string }> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const service = await startService({
    name: 'gateway',
    env: { ...env, CELERIAC_GATEWAY_PORT: String(port), CELERIAC_GATEWAY_HOST: '127.0.0.1' },
    readyUrl: `${url}/readyz`,
    waitUntil: options.waitUntil,
    launch: options.launch,
  });
  return Object.assign(service, { url });
}
