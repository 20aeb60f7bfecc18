import { Counter, Gauge, type Registry } from 'prom-client';

export interface StreamMetrics {
  readonly clients: Gauge<'stream'>;
  readonly sent: Counter<'stream'>;
  readonly disconnects: Counter<'stream' | 'reason'>;
  readonly records: Counter;
  readonly undecodable: Counter;
  readonly replayBytes: Gauge;
  readonly replayEntries: Gauge;
}

/** Registered once per live-streams instance on the gateway's registry. */
export function createStreamMetrics(registry: Registry): StreamMetrics {
  const registers = [registry];
  return {
    clients: new Gauge({
      name: 'celeriac_gateway_stream_clients',
      help: 'Open live-stream clients',
      labelNames: ['stream'],
      registers,
    }),
    sent: new Counter({
      name: 'celeriac_gateway_stream_events_sent_total',
      help: 'Events written to live-stream clients',
      labelNames: ['stream'],
      registers,
    }),
    disconnects: new Counter({
      name: 'celeriac_gateway_stream_disconnects_total',
      help: 'Live-stream clients the server cut off, by reason (slow-consumer, history-overflow, no-pong)',
      labelNames: ['stream', 'reason'],
      registers,
    }),
    records: new Counter({
      name: 'celeriac_gateway_stream_records_total',
      help: 'Event-log records the stream tail processed',
      registers,
    }),
    undecodable: new Counter({
      name: 'celeriac_gateway_stream_undecodable_total',
      help: 'Event-log records the stream tail could not decode',
      registers,
    }),
    replayBytes: new Gauge({
      name: 'celeriac_gateway_stream_replay_bytes',
      help: 'Estimated bytes held by the replay ring (bounded by CELERIAC_GATEWAY_REPLAY_BYTES)',
      registers,
    }),
    replayEntries: new Gauge({
      name: 'celeriac_gateway_stream_replay_entries',
      help: 'Stream entries held by the replay ring',
      registers,
    }),
  };
}
