import { connect, createServer, type Socket } from 'node:net';

export interface TcpGate {
  /** `host:port` to give a client instead of the target's. */
  readonly address: string;
  /** Lets connections through again. */
  open(): void;
  /** A network partition: every relayed connection is cut and new ones are dropped at once. */
  close(): void;
  stop(): Promise<void>;
}

/**
 * A TCP relay on loopback in front of a real server, for a test that must make that server
 * unreachable for one process while every other process (and test) keeps using it directly.
 */
export async function startTcpGate(target: string): Promise<TcpGate> {
  const [host, port] = [
    target.slice(0, target.lastIndexOf(':')),
    Number(target.slice(target.lastIndexOf(':') + 1)),
  ];
  let passing = true;
  const sockets = new Set<Socket>();
  const keep = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const server = createServer((client) => {
    if (!passing) {
      client.destroy();
      return;
    }
    const upstream = connect(port, host);
    keep(client);
    keep(upstream);
    client.pipe(upstream).pipe(client);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = `127.0.0.1:${(server.address() as { port: number }).port}`;
  const close = () => {
    passing = false;
    for (const socket of sockets) socket.destroy();
  };
  return {
    address,
    open: () => {
      passing = true;
    },
    close,
    stop: () =>
      new Promise<void>((resolve) => {
        close();
        server.close(() => resolve());
      }),
  };
}
