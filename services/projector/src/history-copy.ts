import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { HistoryRow } from './batch-fold';

/** One value in COPY's text format: \N for null; backslash, tab and line breaks escaped. */
export function copyText(value: string | number | null): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return String(value);
  return value.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}

/** COPY text in chunks of a few hundred rows: one socket write per chunk, not per row. */
function* chunks(history: HistoryRow[]): Generator<string> {
  let chunk = '';
  for (const h of history) {
    chunk += `${[
      h.connectionId,
      h.eventId,
      h.taskUuid,
      h.type,
      h.hostname,
      h.timestamp,
      h.clock,
      new Date(h.receivedAtMs).toISOString(),
      h.partition,
      h.offset,
      JSON.stringify(h.fields),
    ]
      .map(copyText)
      .join('\t')}\n`;
    if (chunk.length > 256 * 1024) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

/**
 * Appends history rows with COPY, several times faster than a multi-row INSERT at this volume.
 * COPY has no ON CONFLICT: the caller has already dropped event ids the history holds, and a
 * concurrent duplicate fails the transaction, which is retried and then finds the id known.
 */
export async function copyHistory(client: PoolClient, history: HistoryRow[]): Promise<void> {
  if (history.length === 0) return;
  const stream = client.query(
    copyFrom(
      'COPY celeriac.task_events (connection_id, event_id, task_uuid, type, hostname, "timestamp", clock, received_at, kafka_partition, kafka_offset, fields) FROM STDIN',
    ),
  );
  await pipeline(Readable.from(chunks(history)), stream);
}
