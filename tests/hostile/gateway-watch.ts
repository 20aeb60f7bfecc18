import type http from 'node:http';
import { type Outcome, send } from './http-client';
import type { HostileRequest } from './http-requests';

/** A service of the stack under attack, restartable as k8s would restart a crashed or hung replica. */
export interface ServiceTarget {
  readonly name: string;
  /** Base URL answering /healthz (the gateway's API port, a service's ops port). */
  url(): string;
  exited(): boolean;
  /** kill -9 when still running, run `whileDown`, then start a fresh process on the same port. */
  restart(whileDown?: () => Promise<void>): Promise<void>;
  logTail(): string;
}

/** ok; stall: /healthz answered, but late (a blocked event loop); hung: not at all; crash: exited. */
export type Health = 'ok' | 'stall' | 'hung' | 'crash';

export interface WatchLimits {
  /** /healthz slower than this is a stall, ms. */
  stallMs: number;
  /** /healthz silent for this long is a hang, ms (a liveness probe would restart the replica). */
  hangMs: number;
}

/** One /healthz probe, classified. */
export async function probeHealth(target: ServiceTarget, limits: WatchLimits): Promise<Health> {
  if (target.exited()) return 'crash';
  const started = performance.now();
  try {
    const response = await fetch(`${target.url()}/healthz`, { signal: AbortSignal.timeout(limits.hangMs) });
    await response.arrayBuffer();
    return performance.now() - started > limits.stallMs ? 'stall' : 'ok';
  } catch (error) {
    if ((error as Error).name === 'TimeoutError') return 'hung';
    // Refused: the process is going away; its exit event follows the closed socket closely.
    const deadline = Date.now() + 2_000;
    while (!target.exited() && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    return target.exited() ? 'crash' : 'hung';
  }
}

const WORST: Health[] = ['ok', 'stall', 'hung', 'crash'];
export const worse = (a: Health, b: Health): Health => (WORST.indexOf(a) >= WORST.indexOf(b) ? a : b);

/**
 * Sends one request with nothing else in flight, probing /healthz until it is answered: what the
 * request alone does to the service. A hung or crashed service is restarted before returning.
 */
export async function replayAlone(
  target: ServiceTarget,
  agent: http.Agent,
  request: HostileRequest,
  limits: WatchLimits & { requestTimeoutMs: number },
): Promise<{ health: Health; outcome: Outcome; log: string }> {
  let done = false;
  const sending = send(agent, target.url(), request, limits.requestTimeoutMs).finally(() => {
    done = true;
  });
  let health: Health = 'ok';
  while (!done && health !== 'crash' && health !== 'hung') {
    health = worse(health, await probeHealth(target, limits));
    // Probe cadence while the request runs, not a wait for an outcome.
    if (!done) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const outcome = await sending;
  health = worse(health, await probeHealth(target, limits));
  const log = health === 'ok' ? '' : target.logTail();
  if (health === 'crash' || health === 'hung') await target.restart();
  return { health, outcome, log };
}
