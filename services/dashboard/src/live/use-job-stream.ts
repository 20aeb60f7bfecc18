import { useEffect, useRef, useState } from 'react';
import { apiUrl } from '../api/client';
import type { JobChange } from './merge-changes';

/** Changes held between two frames; past this the table reloads instead of replaying a backlog. */
const MAX_PENDING = 20_000;
/** How long before a stream the browser gave up on (an error status: 429, 503) is opened again. */
const REOPEN_MS = 5_000;

export type StreamStatus = 'connecting' | 'live' | 'paused' | 'reconnecting';

/**
 * Subscribes to the connection's SSE stream (job events only) and hands the changes over at most once
 * per animation frame, so 1,000 events/s cost one render per frame, not one per event.
 */
export function useJobStream(
  connectionId: string,
  paused: boolean,
  onBatch: (changes: JobChange[]) => void,
  onOverflow: () => void,
): StreamStatus {
  const [status, setStatus] = useState<StreamStatus>('connecting');
  const [attempt, setAttempt] = useState(0);
  const handlers = useRef({ onBatch, onOverflow });
  handlers.current = { onBatch, onOverflow };

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new `attempt` opens a new stream
  useEffect(() => {
    if (paused) {
      setStatus('paused');
      return;
    }
    setStatus('connecting');
    const source = new EventSource(apiUrl('/api/events/stream', { connectionId, types: 'job' }));
    let pending: JobChange[] = [];
    let frame = 0;
    let overflowed = false;
    const flush = () => {
      frame = 0;
      const batch = pending;
      pending = [];
      if (overflowed) {
        overflowed = false;
        handlers.current.onOverflow();
        return;
      }
      performance.mark('celeriac:batch-start');
      handlers.current.onBatch(batch);
    };
    source.onopen = () => setStatus('live');
    let reopen: ReturnType<typeof setTimeout> | undefined;
    source.onerror = () => {
      setStatus('reconnecting');
      // An EventSource retries a dropped stream by itself, but not one refused with an error status:
      // open a new one later, and reload the table since changes were missed meanwhile.
      if (source.readyState === EventSource.CLOSED && reopen === undefined)
        reopen = setTimeout(() => {
          handlers.current.onOverflow();
          setAttempt((n) => n + 1);
        }, REOPEN_MS);
    };
    source.addEventListener('job:state_change', (event) => {
      if (pending.length >= MAX_PENDING) overflowed = true;
      else pending.push(JSON.parse((event as MessageEvent<string>).data) as JobChange);
      if (!frame) frame = requestAnimationFrame(flush);
    });
    return () => {
      source.close();
      clearTimeout(reopen);
      if (frame) cancelAnimationFrame(frame);
    };
  }, [connectionId, paused, attempt]);
  return status;
}
