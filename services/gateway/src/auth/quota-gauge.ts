import { Gauge, type Registry } from 'prom-client';
import type { ConcurrencyQuotas, QuotaKind } from './concurrency-quotas';

const KINDS: readonly QuotaKind[] = ['stream', 'result-wait', 'refresh', 'catch-up'];

/**
 * `celeriac_gateway_quota_slots{kind}`: what this replica's clients hold open now, read at scrape time.
 * Next to the refusals counter it tells an operator whether a limit is near (with peers, the limits
 * count the sum of this gauge over the replicas).
 */
export function registerQuotaGauge(registry: Registry, quotas: ConcurrencyQuotas): void {
  new Gauge({
    name: 'celeriac_gateway_quota_slots',
    help: 'Streams, result waits, worker refreshes and catch-ups held open on this replica, by quota (kind)',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      for (const kind of KINDS) this.set({ kind }, quotas.open(kind));
    },
  });
}
