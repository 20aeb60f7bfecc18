-- Read models folded from the Kafka event log by the projector. Times are epoch seconds
-- (double precision) exactly as Celery/Flower report them, plus timestamptz columns where dashboards
-- want them.

CREATE TABLE celeriac.tasks (
  connection_id uuid NOT NULL,
  uuid text NOT NULL,
  name text,
  state text NOT NULL DEFAULT 'PENDING',
  sent double precision,
  received double precision,
  started double precision,
  succeeded double precision,
  failed double precision,
  retried double precision,
  revoked double precision,
  rejected double precision,
  "timestamp" double precision,
  args text,
  kwargs text,
  result text,
  exception text,
  traceback text,
  eta text,
  expires text,
  retries integer,
  worker text,
  client text,
  runtime double precision,
  exchange text,
  routing_key text,
  queue text,
  root_id text,
  parent_id text,
  children text[] NOT NULL DEFAULT '{}',
  clock bigint,
  extra jsonb NOT NULL DEFAULT '{}'::jsonb,
  last_event_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection_id, uuid)
);
COMMENT ON TABLE celeriac.tasks IS 'Current state of every task, merged with Celery''s rules (state precedence, late events).';
COMMENT ON COLUMN celeriac.tasks.state IS 'PENDING, RECEIVED, STARTED, SUCCESS, FAILURE, RETRY, REVOKED, REJECTED or an upper-cased custom event subject.';
COMMENT ON COLUMN celeriac.tasks.received IS 'Epoch seconds of task-received (worker clock). Likewise sent/started/succeeded/failed/retried/revoked/rejected.';
COMMENT ON COLUMN celeriac.tasks."timestamp" IS 'Epoch seconds of the event that last set the state.';
COMMENT ON COLUMN celeriac.tasks.args IS 'Python repr text of the positional arguments, as the worker reported it (not JSON).';
COMMENT ON COLUMN celeriac.tasks.result IS 'Python repr text of the return value, as the worker reported it (not JSON).';
COMMENT ON COLUMN celeriac.tasks.runtime IS 'Seconds the task ran (task-succeeded).';
COMMENT ON COLUMN celeriac.tasks.worker IS 'Nodename of the worker that handled the task.';
COMMENT ON COLUMN celeriac.tasks.client IS 'Nodename of the producer that sent it (task-sent).';
COMMENT ON COLUMN celeriac.tasks.extra IS 'Other fields the events carried (custom progress data and the like).';

CREATE INDEX tasks_by_received ON celeriac.tasks (connection_id, received DESC NULLS LAST);
CREATE INDEX tasks_by_timestamp ON celeriac.tasks (connection_id, "timestamp" DESC NULLS LAST);
CREATE INDEX tasks_by_started ON celeriac.tasks (connection_id, started DESC NULLS LAST);
CREATE INDEX tasks_by_state ON celeriac.tasks (connection_id, state, received DESC NULLS LAST);
CREATE INDEX tasks_by_name ON celeriac.tasks (connection_id, name, received DESC NULLS LAST);
CREATE INDEX tasks_by_worker ON celeriac.tasks (connection_id, worker, received DESC NULLS LAST);

-- Append-only history of every event; partitioned by day of the collector's receive time so retention
-- drops whole partitions. The projector creates partitions ahead of time.
CREATE TABLE celeriac.task_events (
  connection_id uuid NOT NULL,
  event_id text NOT NULL,
  task_uuid text,
  type text NOT NULL,
  hostname text NOT NULL,
  "timestamp" double precision NOT NULL,
  clock bigint,
  received_at timestamptz NOT NULL,
  kafka_partition integer NOT NULL,
  kafka_offset bigint NOT NULL,
  fields jsonb NOT NULL,
  PRIMARY KEY (connection_id, event_id, received_at)
) PARTITION BY RANGE (received_at);
COMMENT ON TABLE celeriac.task_events IS 'Every task-* event with its Kafka position, append-only, partitioned by day of received_at.';
COMMENT ON COLUMN celeriac.task_events.fields IS 'The event''s fields as Celery sent them (JSON), including type-specific ones.';
CREATE INDEX task_events_by_task ON celeriac.task_events (connection_id, task_uuid, kafka_offset);
CREATE INDEX task_events_by_position ON celeriac.task_events (kafka_partition, kafka_offset);

CREATE TABLE celeriac.workers (
  connection_id uuid NOT NULL,
  hostname text NOT NULL,
  pid bigint,
  freq double precision,
  active integer,
  processed bigint,
  loadavg double precision[],
  sw_ident text,
  sw_ver text,
  sw_sys text,
  clock bigint,
  online boolean NOT NULL DEFAULT false,
  first_seen_at timestamptz NOT NULL,
  last_heartbeat double precision,
  last_heartbeat_at timestamptz,
  offline_at timestamptz,
  inspect jsonb NOT NULL DEFAULT '{}'::jsonb,
  inspected_at timestamptz,
  PRIMARY KEY (connection_id, hostname)
);
COMMENT ON TABLE celeriac.workers IS 'Celery workers seen per connection.';
COMMENT ON COLUMN celeriac.workers.online IS 'False after worker-offline. A worker whose last heartbeat is older than 2 x freq is also offline (Celery''s rule): check last_heartbeat_at + 2 * freq against now().';
COMMENT ON COLUMN celeriac.workers.inspect IS 'Latest inspect reply per method: {"stats": ..., "active_queues": ..., "registered": ..., "active": ..., "reserved": ..., "scheduled": ..., "revoked": ..., "conf": ...}.';

CREATE TABLE celeriac.queues (
  connection_id uuid NOT NULL,
  name text NOT NULL,
  messages bigint NOT NULL,
  consumers bigint NOT NULL,
  sampled_at timestamptz NOT NULL,
  PRIMARY KEY (connection_id, name)
);
COMMENT ON TABLE celeriac.queues IS 'Latest depth and consumer count of each queue workers consume from.';

CREATE TABLE celeriac.queue_samples (
  connection_id uuid NOT NULL,
  name text NOT NULL,
  sampled_at timestamptz NOT NULL,
  messages bigint NOT NULL,
  consumers bigint NOT NULL,
  PRIMARY KEY (connection_id, name, sampled_at)
);
COMMENT ON TABLE celeriac.queue_samples IS 'Time series of queue depth samples.';

CREATE TABLE celeriac.task_types (
  connection_id uuid NOT NULL,
  name text NOT NULL,
  first_seen_at timestamptz NOT NULL,
  PRIMARY KEY (connection_id, name)
);
COMMENT ON TABLE celeriac.task_types IS 'Task names seen per connection.';

CREATE TABLE celeriac.projector_offsets (
  consumer_group text NOT NULL,
  topic text NOT NULL,
  kafka_partition integer NOT NULL,
  next_offset bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer_group, topic, kafka_partition)
);
COMMENT ON TABLE celeriac.projector_offsets IS 'Next Kafka offset to apply per partition, written in the same transaction as the read-model change (exactly-once effect).';
