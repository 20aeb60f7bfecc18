-- Retention per connection (projector). NULL means the projector's default
-- (CELERIAC_PROJECTOR_RETENTION_DAYS, 30 days unless configured).
ALTER TABLE celeriac.connections
  ADD COLUMN retention_days integer CHECK (retention_days BETWEEN 1 AND 3650);
COMMENT ON COLUMN celeriac.connections.retention_days IS 'Days the projector keeps this connection''s tasks (by the time of their newest event), workers (by their newest heartbeat, offline or inspect reply), queue depth samples and task event history (whole UTC days by receive time); NULL = the projector''s default. Old rows are deleted in small batches.';

-- The retention pass deletes tasks by (connection_id, "timestamp") through tasks_by_timestamp of 0002
-- and history rows by partition and the primary key's connection_id prefix: no index of its own on
-- those, since every extra index on tasks costs each projector upsert. Queue samples (a few rows per
-- queue every 5 s) get one, as their primary key leads with the queue name.
CREATE INDEX queue_samples_by_time ON celeriac.queue_samples (connection_id, sampled_at);
