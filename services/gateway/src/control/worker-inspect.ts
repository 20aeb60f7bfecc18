import { scrubCredentials } from '@celeriac/event-log/scrub-credentials';

/**
 * What a worker says about itself, made fit for any reader of its connection: Flower 2.1 drops
 * `broker.alternates` from `stats`, and every URL password or secret-named field is masked, whether
 * the data arrives in a live inspect reply or from a snapshot stored before the collector scrubbed.
 */
export function safeInspectReply(method: string, reply: unknown): unknown {
  return scrubCredentials(method === 'stats' ? withoutAlternates(reply) : reply);
}

/** A stored snapshot, `{method: reply}`, with each reply made safe. */
export function safeInspectSnapshot(snapshot: unknown): Record<string, unknown> {
  if (typeof snapshot !== 'object' || snapshot === null || Array.isArray(snapshot)) return {};
  return Object.fromEntries(
    Object.entries(snapshot).map(([method, reply]) => [method, safeInspectReply(method, reply)]),
  );
}

function withoutAlternates(stats: unknown): unknown {
  if (typeof stats !== 'object' || stats === null) return stats;
  const broker = (stats as { broker?: unknown }).broker;
  if (typeof broker !== 'object' || broker === null) return stats;
  const { alternates: _dropped, ...rest } = broker as Record<string, unknown>;
  return { ...stats, broker: rest };
}
