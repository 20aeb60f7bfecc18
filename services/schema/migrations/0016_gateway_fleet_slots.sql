-- What each live gateway replica holds open, per kind of quota and per holder, so the per-key and
-- per-connection limits of streams and result waits hold across the fleet: a replica admits a new one
-- only if the live replicas' counts plus its own stay within the limit, under an advisory lock per
-- (kind, holder). Replaces 0015's gateway_key_streams (streams per key only): a replica of the previous
-- version that cannot find that table admits streams on its own limit until it is replaced.
CREATE TABLE IF NOT EXISTS celeriac.gateway_fleet_slots (
  member_id text NOT NULL REFERENCES celeriac.gateway_members (member_id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('stream', 'result-wait')),
  scope text NOT NULL CHECK (scope IN ('key', 'connection')),
  holder text NOT NULL,
  held integer NOT NULL CHECK (held > 0),
  PRIMARY KEY (member_id, kind, scope, holder)
);
CREATE INDEX IF NOT EXISTS gateway_fleet_slots_by_holder ON celeriac.gateway_fleet_slots (kind, scope, holder);
COMMENT ON TABLE celeriac.gateway_fleet_slots IS 'Open streams and result waits per API key and per connection on each live gateway replica.';
COMMENT ON COLUMN celeriac.gateway_fleet_slots.kind IS 'stream (SSE + WebSocket) or result-wait (/api/task/apply, /api/task/result?timeout=).';
COMMENT ON COLUMN celeriac.gateway_fleet_slots.scope IS 'key: holder is the API key id (address:<client address> when auth is disabled); connection: holder is the connection id.';
DROP TABLE IF EXISTS celeriac.gateway_key_streams;
