-- Views for Grafana and BI tools over the projector's read models. They are a stable surface:
-- columns are only ever added. Buckets are computed from epoch seconds (floor to the minute/hour),
-- so they do not depend on the session time zone. Filter on connection_id first: every view
-- pushes it down to an index.

CREATE VIEW celeriac.bi_task_throughput_per_minute AS
SELECT connection_id,
       to_timestamp(floor("timestamp" / 60) * 60) AS minute,
       name,
       count(*) FILTER (WHERE state = 'SUCCESS') AS succeeded,
       count(*) FILTER (WHERE state = 'FAILURE') AS failed,
       count(*) AS finished
FROM celeriac.tasks
WHERE state IN ('SUCCESS', 'FAILURE') AND "timestamp" IS NOT NULL
GROUP BY connection_id, floor("timestamp" / 60), name;
COMMENT ON VIEW celeriac.bi_task_throughput_per_minute IS 'Tasks finished per task name per minute (by the time of their final event), split into succeeded and failed.';
COMMENT ON COLUMN celeriac.bi_task_throughput_per_minute.minute IS 'Start of the minute (UTC) in which the task reached SUCCESS or FAILURE.';
COMMENT ON COLUMN celeriac.bi_task_throughput_per_minute.finished IS 'succeeded + failed.';

CREATE VIEW celeriac.bi_task_outcome_rates AS
SELECT connection_id,
       to_timestamp(floor("timestamp" / 3600) * 3600) AS hour,
       name,
       count(*) FILTER (WHERE state = 'SUCCESS') AS succeeded,
       count(*) FILTER (WHERE state = 'FAILURE') AS failed,
       count(*) FILTER (WHERE state = 'REVOKED') AS revoked,
       count(*) FILTER (WHERE retried IS NOT NULL) AS retried,
       (count(*) FILTER (WHERE state = 'SUCCESS'))::float8 / count(*) AS success_rate,
       (count(*) FILTER (WHERE state = 'FAILURE'))::float8 / count(*) AS failure_rate
FROM celeriac.tasks
WHERE state IN ('SUCCESS', 'FAILURE', 'REVOKED') AND "timestamp" IS NOT NULL
GROUP BY connection_id, floor("timestamp" / 3600), name;
COMMENT ON VIEW celeriac.bi_task_outcome_rates IS 'Per task name and hour: how finished tasks ended. Rates are fractions (0..1) of the tasks that reached SUCCESS, FAILURE or REVOKED in that hour.';
COMMENT ON COLUMN celeriac.bi_task_outcome_rates.retried IS 'Finished tasks that were retried at least once before they ended.';

CREATE VIEW celeriac.bi_task_runtime_percentiles AS
SELECT connection_id,
       to_timestamp(floor(succeeded / 3600) * 3600) AS hour,
       name,
       count(*) AS tasks,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY runtime) AS p50_seconds,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY runtime) AS p90_seconds,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY runtime) AS p95_seconds,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY runtime) AS p99_seconds,
       max(runtime) AS max_seconds
FROM celeriac.tasks
WHERE state = 'SUCCESS' AND runtime IS NOT NULL AND succeeded IS NOT NULL
GROUP BY connection_id, floor(succeeded / 3600), name;
COMMENT ON VIEW celeriac.bi_task_runtime_percentiles IS 'Runtime (seconds, as the worker measured it in task-succeeded) percentiles per task name and hour of success.';

CREATE VIEW celeriac.bi_task_queue_wait AS
SELECT connection_id, uuid, name, worker, queue,
       to_timestamp(sent) AS sent_at,
       to_timestamp(received) AS received_at,
       to_timestamp(started) AS started_at,
       received - sent AS wait_received_after_sent_seconds,
       started - received AS wait_started_after_received_seconds
FROM celeriac.tasks
WHERE received IS NOT NULL;
COMMENT ON VIEW celeriac.bi_task_queue_wait IS 'Per task: time in the broker queue (received - sent; needs task_send_sent_event on producers) and time prefetched by the worker before it started (started - received). Times mix client and worker clocks, so skew shows up here.';
COMMENT ON COLUMN celeriac.bi_task_queue_wait.wait_received_after_sent_seconds IS 'Seconds between task-sent (client clock) and task-received (worker clock); NULL without task-sent.';
COMMENT ON COLUMN celeriac.bi_task_queue_wait.wait_started_after_received_seconds IS 'Seconds between task-received and task-started (both worker clock); NULL until started.';

CREATE VIEW celeriac.bi_queue_wait_per_minute AS
SELECT connection_id,
       to_timestamp(floor(received / 60) * 60) AS minute,
       name,
       count(*) AS tasks,
       avg(received - sent) AS avg_received_after_sent_seconds,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY received - sent) AS p95_received_after_sent_seconds,
       avg(started - received) AS avg_started_after_received_seconds,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY started - received) AS p95_started_after_received_seconds
FROM celeriac.tasks
WHERE received IS NOT NULL
GROUP BY connection_id, floor(received / 60), name;
COMMENT ON VIEW celeriac.bi_queue_wait_per_minute IS 'Queue wait per task name per minute of receipt: mean and p95 of received - sent and of started - received, in seconds.';

CREATE VIEW celeriac.bi_queue_depth AS
SELECT connection_id, name AS queue, sampled_at, messages, consumers
FROM celeriac.queue_samples;
COMMENT ON VIEW celeriac.bi_queue_depth IS 'Queue depth over time: ready messages and consumers of each queue at each collector sample (RabbitMQ passive declare; prefetched and ETA messages are not counted).';

CREATE VIEW celeriac.bi_worker_uptime AS
SELECT connection_id, hostname, sw_ver, pid, freq, active, processed,
       online AND last_heartbeat_at IS NOT NULL
         AND last_heartbeat_at + make_interval(secs => coalesce(freq, 60) * 2) > now() AS alive,
       first_seen_at, last_heartbeat_at, offline_at,
       -- Guarded cast: a worker reply is input, and one odd value must not break the whole view.
       CASE WHEN jsonb_typeof(inspect -> 'stats' -> 'uptime') = 'number' THEN (inspect -> 'stats' ->> 'uptime')::float8 END AS reported_uptime_seconds,
       extract(epoch FROM coalesce(last_heartbeat_at, first_seen_at) - first_seen_at) AS observed_span_seconds
FROM celeriac.workers;
COMMENT ON VIEW celeriac.bi_worker_uptime IS 'Workers with Celery''s live alive rule (last heartbeat younger than 2 x freq, 60 s when freq is unknown) and their uptime.';
COMMENT ON COLUMN celeriac.bi_worker_uptime.reported_uptime_seconds IS 'Uptime the worker reported in its latest inspect stats reply (since its last start); NULL without inspect data.';
COMMENT ON COLUMN celeriac.bi_worker_uptime.observed_span_seconds IS 'Seconds from the first event ever seen from this worker to its latest heartbeat (spans restarts).';
