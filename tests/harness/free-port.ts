import { createServer } from 'node:net';

// Below Linux's ephemeral range (32768-60999): a port handed out by the kernel (bind to 0, or the local
// side of any outgoing connection) can be taken by a Kafka/PostgreSQL/AMQP client between our pick and
// the service's own bind. Ports under 32768 are never handed out that way.
const LOWEST = 20_000;
const ABOVE_HIGHEST = 32_768;

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}

/** A port nobody listens on right now, for a service a test starts (services bind 0.0.0.0). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (ABOVE_HIGHEST - LOWEST));
    if (await canBind(port)) return port;
  }
  throw new Error(`no free port found between ${LOWEST} and ${ABOVE_HIGHEST - 1}`);
}
