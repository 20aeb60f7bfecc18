-- One SQL statement of the worker-liveness rule, the same rule as isWorkerAlive in
-- services/celery-domain/src/worker-liveness.ts (services/celery-domain/src/worker-status.int.spec.ts
-- checks both on the same rows): alive while the newest heartbeat (any task event counts) is newer
-- than the newest worker-offline and was received less than 2 x freq ago, 60 s when the worker never
-- reported freq. Judged by PostgreSQL's clock (now()) at query time, and only for rows the projector
-- still holds online (its own verdict by the same rule, by its clock, when it last wrote or swept).

CREATE VIEW celeriac.worker_status AS
SELECT connection_id, hostname, freq,
       (online AND last_heartbeat IS NOT NULL AND last_heartbeat_at IS NOT NULL
        AND (offline_ts IS NULL OR last_heartbeat > offline_ts)
        AND last_heartbeat_at + make_interval(secs => 2 * CASE WHEN freq > 0 THEN freq ELSE 60 END) > now()) AS alive,
       last_heartbeat_at + make_interval(secs => 2 * CASE WHEN freq > 0 THEN freq ELSE 60 END) AS expires_at
FROM celeriac.workers;
COMMENT ON VIEW celeriac.worker_status IS 'Whether each worker is alive now by Celery''s rule: a heartbeat newer than its last worker-offline, received less than 2 x freq ago (60 s when freq is unknown), and not expired by the projector (online).';
COMMENT ON COLUMN celeriac.worker_status.expires_at IS 'When the worker stops counting as alive unless a heartbeat or task event comes first (NULL before any).';

-- bi_worker_uptime had its own copy of the rule; it now reads it from worker_status (same columns).
CREATE OR REPLACE VIEW celeriac.bi_worker_uptime AS
SELECT w.connection_id, w.hostname, w.sw_ver, w.pid, w.freq, w.active, w.processed,
       s.alive,
       w.first_seen_at, w.last_heartbeat_at, w.offline_at,
       -- Guarded cast: a worker reply is input, and one odd value must not break the whole view.
       CASE WHEN jsonb_typeof(w.inspect -> 'stats' -> 'uptime') = 'number' THEN (w.inspect -> 'stats' ->> 'uptime')::float8 END AS reported_uptime_seconds,
       extract(epoch FROM coalesce(w.last_heartbeat_at, w.first_seen_at) - w.first_seen_at) AS observed_span_seconds
FROM celeriac.workers w
JOIN celeriac.worker_status s USING (connection_id, hostname);
COMMENT ON VIEW celeriac.bi_worker_uptime IS 'Workers with Celery''s live alive rule (from celeriac.worker_status: last heartbeat younger than 2 x freq, 60 s when freq is unknown) and their uptime.';

COMMENT ON COLUMN celeriac.workers.online IS 'Alive by Celery''s rule when the projector last touched the row or swept. The projector''s sweep turns it false on expiry; for liveness now, read celeriac.worker_status.';
