-- The web dashboard: browser sessions signed in with an API key, and the record of task commands.

CREATE TABLE celeriac.dashboard_sessions (
  session_hash bytea PRIMARY KEY CHECK (length(session_hash) = 32),
  key_id uuid NOT NULL REFERENCES celeriac.api_keys (key_id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
COMMENT ON TABLE celeriac.dashboard_sessions IS 'Dashboard sign-ins: a session acts as its API key until it expires, is signed out, or the key is revoked. Only a SHA-256 of the cookie value is stored.';
CREATE INDEX dashboard_sessions_by_key ON celeriac.dashboard_sessions (key_id, created_at DESC);
CREATE INDEX dashboard_sessions_by_expiry ON celeriac.dashboard_sessions (expires_at);

CREATE TABLE celeriac.task_actions (
  action_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  connection_id uuid NOT NULL REFERENCES celeriac.connections (connection_id) ON DELETE CASCADE,
  task_id text NOT NULL,
  action text NOT NULL CHECK (action IN ('revoke', 'terminate', 'rerun')),
  key_id uuid REFERENCES celeriac.api_keys (key_id) ON DELETE SET NULL,
  key_name text,
  new_task_id text,
  at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE celeriac.task_actions IS 'Commands sent for a task (revoke, terminate, re-run) and the API key that sent them; key_name is NULL when auth is disabled.';
COMMENT ON COLUMN celeriac.task_actions.new_task_id IS 'For a re-run, the id of the task sent in its place.';
CREATE INDEX task_actions_by_task ON celeriac.task_actions (connection_id, task_id, at DESC);
CREATE INDEX task_actions_by_new_task ON celeriac.task_actions (connection_id, new_task_id)
  WHERE new_task_id IS NOT NULL;

-- The workflow view lists every task of one root; without this index it scans the connection's tasks.
CREATE INDEX tasks_by_root ON celeriac.tasks (connection_id, root_id) WHERE root_id IS NOT NULL;

-- Retries per time bucket on the overview page (the other counts use tasks_by_state_timestamp).
CREATE INDEX tasks_by_retried ON celeriac.tasks (connection_id, retried) WHERE retried IS NOT NULL;
