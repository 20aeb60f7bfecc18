import WebSocket from 'ws';
import { probeHealth, type ServiceTarget, type WatchLimits } from './gateway-watch';
import { percentEncode } from './http-requests';
import { rawExchange, statusOf } from './raw-socket';
import { headerBytes } from './request-auth';
import type { Random } from './seeded-random';

export interface UpgradeContext {
  gateway: ServiceTarget;
  key: string;
  taskId: string;
  connectionId: string;
}

export interface UpgradeReport {
  attempts: number;
  byOutcome: Record<string, number>;
  /** 5xx other than 503, and WebSocket close code 1011 (internal error), with the attempt. */
  serverErrors: string[];
  /** Abuse kinds after which the gateway had crashed or stopped answering, with a sample. */
  incidents: { kind: string; health: string; sample: string; log: string }[];
}

/** One WebSocket attempt: its outcome as `open`, `close <code>`, `http <status>` or an error code. */
function wsAttempt(url: string, headers: Record<string, string>, holdMs: number): Promise<string> {
  return new Promise((resolve) => {
    let outcome = '';
    const socket = new WebSocket(url, { headers, handshakeTimeout: 10_000, maxPayload: 1 << 20 });
    const done = (value: string) => {
      outcome ||= value;
      socket.terminate();
      resolve(outcome);
    };
    socket.on('unexpected-response', (_req, res) => done(`http ${res.statusCode}`));
    socket.on('open', () => {
      outcome = 'open';
      setTimeout(() => done('open'), holdMs);
    });
    socket.on('close', (code) => done(`close ${code}`));
    socket.on('error', (error: NodeJS.ErrnoException) => done(error.code ?? 'error'));
  });
}

const multibyte = (random: Random) =>
  random.pick(['é', '日', '🔥', 'ж']).repeat(random.pick([40, 62, 100, 400]));

/** Each abuse kind: a description of one attempt and the attempt itself. */
function kinds(
  context: UpgradeContext,
  random: Random,
): { kind: string; run(): Promise<[string, string]> }[] {
  const ws = () => context.gateway.url().replace('http', 'ws');
  const token = `token=${encodeURIComponent(context.key)}`;
  const attempt = async (
    path: string,
    headers: Record<string, string> = {},
    holdMs = 200,
  ): Promise<[string, string]> => [
    `GET ${path.slice(0, 200)} headers=${JSON.stringify(headers).slice(0, 200)}`,
    await wsAttempt(`${ws()}${path}`, headers, holdMs),
  ];
  const raw = async (text: string, hold = false, halfClose = false): Promise<[string, string]> => {
    const line = await rawExchange(context.gateway.url(), Buffer.from(text, 'latin1'), {
      waitMs: hold ? 3_000 : 2_000,
      hold,
      halfClose,
    });
    return [
      `raw ${JSON.stringify(text.slice(0, 200))}`,
      Number.isNaN(statusOf(line)) ? line : `http ${statusOf(line)}`,
    ];
  };
  const upgrade = (path: string, extra: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;
  const goodHeaders =
    'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';
  return [
    {
      kind: 'ws-multibyte-connection-id',
      run: () => attempt(`/${context.taskId}?${token}&connectionId=${percentEncode(multibyte(random))}`),
    },
    {
      kind: 'ws-multibyte-connection-header',
      run: () =>
        attempt(`/${context.taskId}?${token}`, { 'x-celeriac-connection': headerBytes(multibyte(random)) }),
    },
    {
      kind: 'ws-long-task-id',
      run: () =>
        attempt(
          `/${random.chance(0.5) ? 'ws/tasks/' : ''}${random.chance(0.5) ? 'a'.repeat(random.pick([124, 199, 200, 5_000])) : percentEncode(multibyte(random))}?${token}`,
        ),
    },
    {
      kind: 'ws-bad-token',
      run: () =>
        attempt(
          `/${context.taskId}?token=${percentEncode(random.pick([multibyte(random), 'x'.repeat(9_000), '', '%00']))}`,
        ),
    },
    {
      kind: 'ws-bad-auth-header',
      run: () => attempt(`/${context.taskId}`, { authorization: headerBytes(`Bearer ${multibyte(random)}`) }),
    },
    {
      kind: 'ws-bad-upgrade',
      run: () =>
        raw(
          upgrade(
            `/${context.taskId}?${token}`,
            random.pick([
              'Upgrade: websocket\r\nConnection: Upgrade\r\n',
              'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 99\r\nSec-WebSocket-Key: x\r\n',
              `Upgrade: ${'w'.repeat(8_000)}\r\nConnection: Upgrade\r\n`,
              'Upgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\n',
              'Connection: Upgrade\r\n',
              `${goodHeaders}Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=99\r\n`,
            ]),
          ),
        ),
    },
    {
      kind: 'ws-upgrade-on-http-route',
      run: () =>
        raw(
          upgrade(
            random.pick(['/api/tasks', '/api/events/stream', '/healthz', '/%', '/ws/tasks/']),
            goodHeaders,
          ),
        ),
    },
    {
      kind: 'half-open-upgrade',
      run: () =>
        raw(
          `GET /${context.taskId}?${token} HTTP/1.1\r\nHost: x\r\n${goodHeaders}`,
          true,
          random.chance(0.5),
        ),
    },
    {
      kind: 'ws-garbage-frames',
      run: () =>
        raw(
          `${upgrade(`/${context.taskId}?${token}`, goodHeaders)}\u0082\u00ff${'\u00ff'.repeat(16)}garbage`,
          true,
        ),
    },
    { kind: 'ws-never-read', run: () => raw(upgrade(`/${context.taskId}?${token}`, goodHeaders), true) },
    {
      kind: 'sse-multibyte-connection-id',
      run: () =>
        raw(
          `GET /api/events/stream?${token}&connectionId=${percentEncode(multibyte(random))} HTTP/1.1\r\nHost: x\r\n\r\n`,
        ),
    },
    {
      kind: 'sse-bad-params',
      run: () =>
        raw(
          `GET /api/events/stream?${token}&types=${percentEncode(random.pick(['x'.repeat(10_000), '__proto__', ',,,', multibyte(random)]))}&lastEventId=${percentEncode(random.pick(['-1', '9'.repeat(5_000), '0:0:0', multibyte(random)]))} HTTP/1.1\r\nHost: x\r\nLast-Event-ID: ${headerBytes(random.pick(['9'.repeat(8_000), 'a:b:c', multibyte(random)]))}\r\n\r\n`,
        ),
    },
    {
      kind: 'sse-never-read',
      run: () => raw(`GET /api/events/stream?${token}&types=job HTTP/1.1\r\nHost: x\r\n\r\n`, true),
    },
  ];
}

/**
 * Every kind of upgrade/stream abuse `perKind` times, `concurrency` at once (many concurrent upgrades),
 * checking after each kind that the gateway still answers /healthz; a crash is reported with a sample
 * attempt and the gateway restarted.
 */
export async function runUpgradeAbuse(
  context: UpgradeContext,
  random: Random,
  perKind: number,
  concurrency: number,
  limits: WatchLimits,
): Promise<UpgradeReport> {
  const report: UpgradeReport = { attempts: 0, byOutcome: {}, serverErrors: [], incidents: [] };
  for (const { kind, run } of kinds(context, random)) {
    let sample = '';
    let next = 0;
    const worker = async () => {
      while (next < perKind && !context.gateway.exited()) {
        next += 1;
        const [attempt, outcome] = await run();
        sample ||= attempt;
        report.attempts += 1;
        report.byOutcome[`${kind} ${outcome}`] = (report.byOutcome[`${kind} ${outcome}`] ?? 0) + 1;
        const status = Number(/^http (\d+)/.exec(outcome)?.[1]);
        if ((status >= 500 && status !== 503) || outcome === 'close 1011')
          report.serverErrors.push(`${kind}: ${attempt} -> ${outcome}`);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const health = await probeHealth(context.gateway, limits);
    if (health === 'crash' || health === 'hung') {
      report.incidents.push({ kind, health, sample, log: context.gateway.logTail().slice(-1_500) });
      await context.gateway.restart();
    }
  }
  return report;
}
