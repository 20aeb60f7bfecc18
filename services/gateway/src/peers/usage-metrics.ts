import { Counter, type Registry } from 'prom-client';

/** Usage reports between replicas (the fleet-wide request rate), by what became of them. */
export function createUsageMetrics(registry: Registry) {
  return {
    reports: new Counter({
      name: 'celeriac_gateway_peer_usage_reports_total',
      help: 'Request-rate usage reports: sent, failed (peer down or late), skipped (previous one still in flight), received, refused (bad token or report)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    ledgerFull: new Counter({
      name: 'celeriac_gateway_peer_usage_uncounted_total',
      help: 'Admitted requests left out of the next usage report because the ledger was at its byte budget',
      registers: [registry],
    }),
  };
}

export type UsageMetrics = ReturnType<typeof createUsageMetrics>;
