/**
 * A minimal service for lifecycle.int.spec.ts: one component that prints when it starts and stops,
 * then the fault named by argv[2] (`throw`: an exception escaping a timer callback; `reject`: a
 * promise rejection nobody handles; `none`: wait for a signal).
 */
import { runUntilSignal } from '../src/lifecycle';
import { createLogger } from '../src/logger';

const fault = process.argv[2] ?? 'none';
const logger = createLogger({ service: 'guarded-process', level: 'info' });

await runUntilSignal({
  logger,
  shutdownDeadlineMs: 5_000,
  components: [
    {
      name: 'intake',
      isRunning: true,
      async start() {
        console.log('intake started');
      },
      async stop() {
        console.log('intake stopped');
      },
    },
  ],
});

if (fault === 'throw')
  setTimeout(() => {
    throw new Error('escaped a callback');
  }, 10);
if (fault === 'reject') void Promise.reject(new Error('nobody caught this'));
// A real service's servers keep it alive until a signal; this stands in for them.
if (fault === 'none') setInterval(() => undefined, 60_000);
