-- task_events' primary key (connection_id, event_id, received_at) already serves look-ups by
-- (connection_id, event_id); the separate index of 0003 only slowed every history insert.
DROP INDEX IF EXISTS celeriac.task_events_by_event_id;
