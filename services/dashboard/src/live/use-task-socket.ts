import { useEffect, useRef, useState } from 'react';

/** A Celery event frame of the per-task WebSocket (wscelery shape). */
export interface TaskFrame {
  type: string;
  uuid?: string;
  timestamp?: number;
  [field: string]: unknown;
}

/** Frames kept per page: a task that retries forever cannot grow the page without bound. */
const MAX_FRAMES = 500;

/**
 * Follows one task over the gateway's WebSocket while `active` (the task is not finished). The socket
 * replays the task's history first, then live frames; `onFrame` lets the page refresh its stored view.
 */
export function useTaskSocket(
  connectionId: string,
  taskId: string,
  active: boolean,
  onFrame: (frame: TaskFrame) => void,
) {
  const [frames, setFrames] = useState<TaskFrame[]>([]);
  const [open, setOpen] = useState(false);
  const handler = useRef(onFrame);
  handler.current = onFrame;

  useEffect(() => {
    if (!active) return;
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    const query = new URLSearchParams({ connectionId });
    const socket = new WebSocket(
      `${scheme}://${window.location.host}/ws/tasks/${encodeURIComponent(taskId)}?${query}`,
    );
    socket.onopen = () => setOpen(true);
    socket.onclose = () => setOpen(false);
    socket.onmessage = (message) => {
      let frame: TaskFrame;
      try {
        frame = JSON.parse(String(message.data)) as TaskFrame;
      } catch {
        return;
      }
      setFrames((current) => current.concat(frame).slice(-MAX_FRAMES));
      handler.current(frame);
    };
    return () => socket.close();
  }, [connectionId, taskId, active]);

  return { frames, open };
}
