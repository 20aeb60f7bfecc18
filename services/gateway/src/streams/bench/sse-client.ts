import { type ClientRequest, request } from 'node:http';

/**
 * A bare SSE client for the benchmarks: one socket of its own (no agent), resolved once the replica
 * answered 200, and a parser cheap enough that thousands of them in the load generator are not the
 * bottleneck. `onEvent` gets each block's event name and data; without it the body is not parsed.
 */
export function sseClient(options: {
  port: number;
  /** Path and query, e.g. `/api/events/stream?connectionId=...&types=job`. */
  path: string;
  key: string;
  onEvent?: (event: string, data: string) => void;
}): Promise<{ close(): void }> {
  const { onEvent } = options;
  return new Promise((resolve, reject) => {
    const req: ClientRequest = request(
      {
        host: '127.0.0.1',
        port: options.port,
        path: options.path,
        headers: { Authorization: `Bearer ${options.key}` },
        agent: false,
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return reject(new Error(`sse status ${res.statusCode}`));
        }
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (!onEvent) return;
          buffer += chunk;
          // One pass over the buffer: re-slicing it per event would make the client the bottleneck.
          let from = 0;
          for (let end = buffer.indexOf('\n\n', from); end !== -1; end = buffer.indexOf('\n\n', from)) {
            const block = buffer.slice(from, end);
            from = end + 2;
            const named = block.indexOf('event: ');
            const at = block.indexOf('\ndata: ');
            if (named === -1 || at === -1) continue;
            const nameEnd = block.indexOf('\n', named);
            onEvent(block.slice(named + 7, nameEnd === -1 ? undefined : nameEnd), block.slice(at + 7));
          }
          buffer = buffer.slice(from);
        });
        res.on('error', () => undefined);
        resolve({ close: () => req.destroy() });
      },
    );
    req.on('error', reject);
    req.end();
  });
}
