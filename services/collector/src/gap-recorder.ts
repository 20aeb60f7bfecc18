import type { Logger } from '@celeriac/service-runtime/logger';
import type { CollectorStore } from './collector-store';

export type GapCause = 'buffer-full' | 'disconnected' | 'subscribed';

/** One open window of missed events; `drop` counts what was dropped in it, `close` ends it. */
export interface OpenGap {
  drop(bytes: number): void;
  close(): void;
}

export interface GapRecorder {
  /** A window that starts now; `counted` when the dropped messages are known (a full buffer). */
  open(cause: GapCause, counted: boolean): OpenGap;
  /** A moment before which events may have been missed, with no known start (a takeover). */
  instant(cause: GapCause): void;
}

/**
 * Records a connection's event gaps in PostgreSQL so the API shows them (metrics alone vanish with the
 * process). Writes run one after another off the event path: a slow or absent database delays the
 * record, never an event, and a failed write is logged, not retried (the metrics still count it).
 */
export function createGapRecorder(deps: {
  store: Pick<CollectorStore, 'openGap' | 'closeGap'>;
  connectionId: string;
  collectorId: string;
  /** Rows kept per connection; older ones are deleted as new ones open. */
  keepPerConnection: number;
  logger: Logger;
}): GapRecorder {
  let chain: Promise<unknown> = Promise.resolve();
  const enqueue = <T>(write: () => Promise<T>): Promise<T | undefined> => {
    const next = chain.then(write).catch((error: unknown) => {
      deps.logger.warn({ err: error }, 'cannot record an event gap');
      return undefined;
    });
    chain = next;
    return next;
  };
  const insert = (cause: GapCause, instant: boolean) =>
    enqueue(() =>
      deps.store.openGap({
        connectionId: deps.connectionId,
        cause,
        collectorId: deps.collectorId,
        instant,
        keepPerConnection: deps.keepPerConnection,
      }),
    );
  return {
    open(cause, counted) {
      const id = insert(cause, false);
      let messages = 0;
      let bytes = 0;
      let closed = false;
      return {
        drop(size) {
          messages += 1;
          bytes += size;
        },
        close() {
          if (closed) return;
          closed = true;
          void id.then((gapId) => {
            if (gapId !== undefined)
              void enqueue(() => deps.store.closeGap(gapId, counted ? { messages, bytes } : undefined));
          });
        },
      };
    },
    instant(cause) {
      void insert(cause, true);
    },
  };
}
