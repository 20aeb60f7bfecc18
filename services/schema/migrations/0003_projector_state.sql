-- Columns and indexes the projector needs to fold events in any order (additive to 0002).

ALTER TABLE celeriac.tasks
  ADD COLUMN custom_state text,
  ADD COLUMN custom_ts double precision,
  ADD COLUMN last_ts double precision;
COMMENT ON COLUMN celeriac.tasks.custom_state IS 'Latest custom state (upper-cased subject of a custom task event such as task-progress); it competes in state precedence at Celery''s "unknown state" rank.';
COMMENT ON COLUMN celeriac.tasks.custom_ts IS 'Epoch seconds of the latest custom task event.';
COMMENT ON COLUMN celeriac.tasks.last_ts IS 'Epoch seconds of the newest event folded into the row; clock and extra follow that event.';
COMMENT ON COLUMN celeriac.tasks.sent IS 'Epoch seconds of the newest task-sent. Each per-state time column keeps the newest event of that kind (a retried task is received again).';
COMMENT ON COLUMN celeriac.tasks.retried IS 'Epoch seconds of the newest task-retried. Only events newer than this compete for the state; with none the state is RETRY.';
COMMENT ON COLUMN celeriac.tasks.last_event_at IS 'Timestamp of the newest event folded into the row (from last_ts).';
COMMENT ON COLUMN celeriac.tasks.children IS 'Ids of tasks whose parent_id names this task, sorted.';
COMMENT ON COLUMN celeriac.tasks.clock IS 'Lamport clock of the newest event folded into the row.';

-- Children are recomputed from parent_id; the gateway also lists a task's children with it.
CREATE INDEX tasks_by_parent ON celeriac.tasks (connection_id, parent_id) WHERE parent_id IS NOT NULL;
-- Flower's flower_worker_prefetched_tasks gauge is recomputed from this set, not counted up and down.
CREATE INDEX tasks_prefetched ON celeriac.tasks (connection_id, worker, name) WHERE state = 'RECEIVED' AND eta IS NULL;

-- Event ids are unique per connection across partitions: a redelivery days later is still found.
CREATE INDEX task_events_by_event_id ON celeriac.task_events (connection_id, event_id);

ALTER TABLE celeriac.workers
  ADD COLUMN offline_ts double precision,
  ADD COLUMN inspect_ts jsonb NOT NULL DEFAULT '{}'::jsonb;
COMMENT ON COLUMN celeriac.workers.offline_ts IS 'Epoch seconds (worker clock) of the newest worker-offline; a heartbeat newer than it means the worker came back.';
COMMENT ON COLUMN celeriac.workers.inspect_ts IS 'Epoch seconds of the inspect round behind each method in inspect: {"stats": 1700000000.1, ...}.';
COMMENT ON COLUMN celeriac.workers.last_heartbeat IS 'Epoch seconds (worker clock) of the newest worker-online/heartbeat or task event from this worker.';
COMMENT ON COLUMN celeriac.workers.last_heartbeat_at IS 'Collector receive time of that newest heartbeat; Celery''s alive rule compares it with now().';
COMMENT ON COLUMN celeriac.workers.freq IS 'Heartbeat interval in seconds as the worker reported it; NULL until known (Celery then assumes 60).';
COMMENT ON COLUMN celeriac.workers.online IS 'Alive by Celery''s rule when the projector last touched the row or swept: a heartbeat newer than the last worker-offline, received less than 2 x freq (60 s when unknown) ago. The projector''s sweep turns it false on expiry; celeriac.worker_status computes it live.';
