import http from 'node:http';
import type { HostileRequest } from './http-requests';

export type Outcome =
  | { status: number; bodyHead: string; ms: number }
  | { error: string; ms: number; timedOut: boolean };

const MAX_READ_BYTES = 4 * 1024 * 1024;

/**
 * Sends one request exactly as generated (node:http writes the path and headers as given, latin1),
 * reads at most 4 MiB of the answer and stops at the headers of an event stream.
 */
export function send(
  agent: http.Agent,
  baseUrl: string,
  request: HostileRequest,
  timeoutMs: number,
): Promise<Outcome> {
  const started = performance.now();
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const ms = () => Math.round(performance.now() - started);
    let req: http.ClientRequest;
    try {
      req = http.request({
        agent,
        hostname,
        port,
        method: request.method,
        path: request.path,
        headers: {
          ...request.headers,
          ...(request.body ? { 'content-length': String(request.body.length) } : {}),
        },
      });
    } catch (error) {
      // node refuses to send it (an invalid header or path): nothing reached the gateway.
      resolve({ error: `client-refused: ${(error as Error).message}`, ms: 0, timedOut: false });
      return;
    }
    const timer = setTimeout(() => {
      finish({ error: 'timeout', ms: ms(), timedOut: true });
      req.destroy();
    }, timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) =>
      finish({ error: error.code ?? error.message, ms: ms(), timedOut: false }),
    );
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        finish({
          status: res.statusCode ?? 0,
          bodyHead: Buffer.concat(chunks).toString('utf8', 0, 600),
          ms: ms(),
        });
      };
      if (String(res.headers['content-type']).startsWith('text/event-stream')) {
        done();
        res.destroy();
        return;
      }
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (chunks.length < 4) chunks.push(chunk);
        if (size > MAX_READ_BYTES) {
          done();
          res.destroy();
        }
      });
      res.on('end', done);
      res.on('error', done);
      res.on('close', done);
    });
    req.end(request.body);
  });
}

/** How a failing request is printed: enough to reproduce it with curl or with HOSTILE_SEED/HOSTILE_ONLY. */
export function describeRequest(request: HostileRequest): string {
  const clip = (text: string, max: number) =>
    text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
  const body = request.body ? ` body=${JSON.stringify(clip(request.body.toString('utf8'), 200))}` : '';
  return `#${request.index} [${request.signature}] ${request.method} ${JSON.stringify(clip(request.path, 300))} headers=${JSON.stringify(
    Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, clip(value, 80)])),
  )}${body}`;
}
