-- Corrects two column comments of 0003 (applied migrations are never edited): workers.online named a
-- view that does not exist, and tasks.retried left out that SUCCESS and FAILURE always compete.

COMMENT ON COLUMN celeriac.tasks.retried IS 'Epoch seconds of the newest task-retried. Only events newer than this compete for the state, except SUCCESS and FAILURE, which always compete (a retry reported after the task finished never hides the result); when nothing competes the state is RETRY.';
COMMENT ON COLUMN celeriac.workers.online IS 'Alive by Celery''s rule when the projector last touched the row or swept: a heartbeat newer than the last worker-offline, received less than 2 x freq (60 s when unknown) ago. The projector''s sweep turns it false on expiry; readers needing liveness now also check last_heartbeat_at + 2 x freq against now(), as the gateway and the view celeriac.bi_worker_uptime do.';
