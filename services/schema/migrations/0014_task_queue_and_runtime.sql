-- Gateway /api/v1/tasks: the dashboard filters tasks by queue and sorts them by runtime ("slowest
-- first"). Without these, a rare queue meant walking the timestamp index over the whole history, and a
-- runtime sort meant sorting every task of the connection. Queue leads with the default order (last
-- state change) so the filtered first page is one index range; runtime is read forwards or backwards
-- for both directions. Cost: two more index entries per task row update for the projector.
CREATE INDEX IF NOT EXISTS tasks_by_queue_timestamp
  ON celeriac.tasks (connection_id, queue, "timestamp" DESC NULLS LAST);
CREATE INDEX IF NOT EXISTS tasks_by_runtime
  ON celeriac.tasks (connection_id, runtime DESC NULLS LAST);
