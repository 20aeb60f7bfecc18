import type { Logger } from '@celeriac/service-runtime/logger';
import * as grpc from '@grpc/grpc-js';
import type { Membership } from './membership';
import type { PeerChannels } from './peer-channels';
import type { UsageLedger } from './usage-ledger';
import type { UsageMetrics } from './usage-metrics';

export interface UsageExchangeOptions {
  ledger: UsageLedger;
  /** Milliseconds between reports; also each call's deadline, so at most one is in flight per peer. */
  intervalMs: number;
  /** Callers per report, those with the most tokens first. */
  maxCallers: number;
  metrics: UsageMetrics;
}

/**
 * Sends this replica's request-rate usage to every other live member every `intervalMs`
 * (`Peers/Usage`). A report goes to each peer once: a peer that is down or slow misses it (failed or
 * skipped, counted, logged when it starts and stops failing), which only lets the key a little more through there;
 * requests never wait on a peer. Calls go over the shared peer channels.
 */
export function createUsageExchange(
  deps: UsageExchangeOptions & { membership: Membership; channels: PeerChannels; logger: Logger },
) {
  const log = deps.logger.child({ component: 'usage-exchange' });
  const inFlight = new Set<string>();
  const failing = new Set<string>();
  let timer: NodeJS.Timeout | undefined;

  function report(): void {
    const self = deps.membership.self.memberId;
    const peers = deps.membership.members.filter((m) => m.memberId !== self).map((m) => m.peerAddress);
    for (const address of failing) if (!peers.includes(address)) failing.delete(address);
    const callers = deps.ledger.drain(deps.maxCallers);
    if (callers.length === 0) return;
    for (const address of peers) {
      if (inFlight.has(address)) {
        deps.metrics.reports.inc({ outcome: 'skipped' });
        continue;
      }
      inFlight.add(address);
      const deadline = Date.now() + deps.intervalMs;
      deps.channels.of(address).usage({ callers }, new grpc.Metadata(), { deadline }, (error) => {
        inFlight.delete(address);
        if (!timer) return; // stopped: the call was cancelled, nothing to count
        deps.metrics.reports.inc({ outcome: error ? 'failed' : 'sent' });
        // Logged when a peer starts and stops failing, not at every report.
        if (error && !failing.has(address)) {
          failing.add(address);
          log.warn({ err: error, peer: address }, 'usage reports not delivered to a peer');
        } else if (!error && failing.delete(address))
          log.info({ peer: address }, 'usage reports delivered again');
      });
    }
  }

  return {
    name: 'usage-exchange',
    get isRunning() {
      return timer !== undefined;
    },
    start(): void {
      if (timer) return;
      timer = setInterval(report, deps.intervalMs);
      timer.unref();
    },
    stop(): void {
      clearInterval(timer);
      timer = undefined;
      inFlight.clear();
      failing.clear();
    },
  };
}
