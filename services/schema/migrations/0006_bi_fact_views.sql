-- Per-task views whose time columns are plain columns of celeriac.tasks, so a time-range filter on
-- them reaches an index (tasks_by_timestamp, tasks_by_received) instead of scanning every task of
-- the connection as the per-minute/per-hour aggregates of 0005 must. Dashboards aggregate these
-- over the selected range; BI tools can use either.

CREATE VIEW celeriac.bi_task_finished AS
SELECT connection_id, uuid, name, state, worker, queue,
       "timestamp" AS finished_epoch,
       to_timestamp("timestamp") AS finished_at,
       runtime,
       retried IS NOT NULL AS was_retried
FROM celeriac.tasks
WHERE state IN ('SUCCESS', 'FAILURE', 'REVOKED') AND "timestamp" IS NOT NULL;
COMMENT ON VIEW celeriac.bi_task_finished IS 'One row per task that ended (SUCCESS, FAILURE, REVOKED), at the time of its final event. Filter on finished_epoch (epoch seconds) to use an index.';
COMMENT ON COLUMN celeriac.bi_task_finished.finished_epoch IS 'Epoch seconds of the final event (worker clock); indexed together with connection_id.';
COMMENT ON COLUMN celeriac.bi_task_finished.runtime IS 'Seconds the task ran (SUCCESS only).';
COMMENT ON COLUMN celeriac.bi_task_finished.was_retried IS 'True when the task was retried at least once before it ended.';

-- Same columns as in 0005 plus the raw receive time, appended (views only ever gain columns).
CREATE OR REPLACE VIEW celeriac.bi_task_queue_wait AS
SELECT connection_id, uuid, name, worker, queue,
       to_timestamp(sent) AS sent_at,
       to_timestamp(received) AS received_at,
       to_timestamp(started) AS started_at,
       received - sent AS wait_received_after_sent_seconds,
       started - received AS wait_started_after_received_seconds,
       received AS received_epoch
FROM celeriac.tasks
WHERE received IS NOT NULL;
COMMENT ON COLUMN celeriac.bi_task_queue_wait.received_epoch IS 'Epoch seconds of task-received (worker clock); filter on it to use an index.';
