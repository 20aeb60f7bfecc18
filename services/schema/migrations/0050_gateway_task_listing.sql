-- Gateway: Flower's most common listing is "tasks in state X, newest first" (/api/tasks?state=FAILURE).
-- tasks_by_state orders by received, not by the last state change the default sort uses, so over a large
-- history PostgreSQL had to walk the timestamp index filtering by state (slow for rare states and deep
-- offsets). This index serves the filter and the default order together. Cost: one more index entry per
-- task row update for the projector; measured by the gateway and projector benchmarks.
CREATE INDEX IF NOT EXISTS tasks_by_state_timestamp
  ON celeriac.tasks (connection_id, state, "timestamp" DESC NULLS LAST);
