// Kafka topic names of the event log. Services take them from config so tests can isolate themselves;
// these are the deployment defaults.
export const DEFAULT_EVENTS_TOPIC = 'celeriac.events';
export const DEFAULT_DEAD_LETTER_TOPIC = 'celeriac.deadletter';

/** Collector-made event types, next to Celery's own ("task-*", "worker-*"). */
export const QUEUES_SNAPSHOT_TYPE = 'celeriac-queues';
export const INSPECT_SNAPSHOT_TYPE = 'celeriac-inspect';
