/**
 * Per-task WebSocket clients as wscelery users run them, through the load balancer: each follows one
 * task after another (the newest task the SSE clients announced), and when its socket drops before
 * the task's last event it opens a new one for the same task. A new socket replays the task's whole
 * history, so what is checked per task is the last socket: every event of the task, each once.
 */
import WebSocket from 'ws';

export interface WsFrame {
  type: string;
  uuid: string;
  timestamp: number;
}

export interface WsClient {
  readonly index: number;
  /** Task id -> frames of each socket opened for it (the last one is the complete view). */
  readonly tasks: Map<string, WsFrame[][]>;
  /** Sockets that closed before the task's terminal frame, and were reopened. */
  reopens: number;
  close(): void;
}

const TERMINAL = new Set(['task-succeeded', 'task-failed']);

/** `nextTask` names the task to follow next (undefined: none yet, ask again shortly). */
export function openWsClient(index: number, baseUrl: string, nextTask: () => string | undefined): WsClient {
  const wsBase = baseUrl.replace(/^http/, 'ws');
  let closed = false;
  let socket: WebSocket | undefined;
  let timer: NodeJS.Timeout | undefined;
  const client: WsClient = {
    index,
    tasks: new Map(),
    reopens: 0,
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      socket?.terminate();
    },
  };
  const later = (action: () => void, ms: number) => {
    if (!closed) timer = setTimeout(action, ms);
  };

  function follow(task: string): void {
    const frames: WsFrame[] = [];
    const sockets = client.tasks.get(task) ?? [];
    sockets.push(frames);
    client.tasks.set(task, sockets);
    let done = false;
    const ws = new WebSocket(`${wsBase}/ws/tasks/${task}`);
    socket = ws;
    ws.on('message', (data) => {
      if (done) return;
      const frame = JSON.parse(data.toString()) as WsFrame;
      frames.push({ type: frame.type, uuid: frame.uuid, timestamp: frame.timestamp });
      if (TERMINAL.has(frame.type)) {
        done = true;
        ws.close();
      }
    });
    ws.on('error', () => undefined);
    ws.on('close', () => {
      if (done) return later(pick, 0);
      client.reopens += 1;
      // The replica went away (or none is ready yet): the same task again, after a short delay.
      later(() => follow(task), 300);
    });
  }

  function pick(): void {
    const task = nextTask();
    if (task === undefined || client.tasks.has(task)) return later(pick, 200);
    follow(task);
  }

  pick();
  return client;
}
