import { readStackEnv } from '@celeriac/tests/harness/stack-env';
import { startReplica } from '../live-streams.testkit';

/**
 * One gateway live-streams replica in its own process, so the benchmark measures its RSS and CPU
 * apart from the load generator. Started by streams-bench.ts with BENCH_DATABASE_URL and BENCH_TOPIC;
 * its key and connections are in that database.
 */
const replica = await startReplica({
  databaseUrl: process.env.BENCH_DATABASE_URL as string,
  brokers: readStackEnv().kafkaBrokers,
  topic: process.env.BENCH_TOPIC as string,
  streamOptions: { heartbeatMs: 15_000 },
});
process.stdout.write(`${JSON.stringify({ port: replica.port })}\n`);
process.once('SIGTERM', () => {
  void replica.stop().then(() => process.exit(0));
});
