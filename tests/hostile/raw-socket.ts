import net from 'node:net';

/**
 * Writes bytes to the gateway over a bare TCP socket and reports the status line it answers with
 * ('closed' or 'silent' otherwise): for what no HTTP client sends (broken upgrades, half requests).
 * `hold` keeps the socket open that long without reading further, as a stalled client would.
 */
export function rawExchange(
  baseUrl: string,
  bytes: string | Buffer,
  options: { waitMs: number; hold?: boolean; halfClose?: boolean },
): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let answer = '';
    let settled = false;
    const finish = (result: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!options.hold) socket.destroy();
      else setTimeout(() => socket.destroy(), options.waitMs).unref();
      resolve(result);
    };
    const timer = setTimeout(() => finish(answer ? answer : 'silent'), options.waitMs);
    socket.on('error', () => finish(answer || 'closed'));
    socket.on('close', () => finish(answer || 'closed'));
    socket.on('data', (chunk: Buffer) => {
      answer = chunk.toString('latin1').split('\r\n')[0] ?? '';
      if (options.hold) socket.pause();
      else finish(answer);
    });
    socket.write(bytes, () => {
      if (options.halfClose) socket.end();
    });
  });
}

/** The status code of an HTTP status line, or NaN. */
export function statusOf(line: string): number {
  return Number(/^HTTP\/1\.[01] (\d{3})/.exec(line)?.[1]);
}
