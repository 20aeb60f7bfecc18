-- Open streams per API key on each gateway replica, so a per-key stream limit holds across the fleet:
-- a replica admits a stream only if the live replicas' counts of that key plus its own stay within the
-- limit (under a per-key advisory lock). Rows of dead replicas are ignored (their member row expired)
-- and go with that row when it is swept.
CREATE TABLE IF NOT EXISTS celeriac.gateway_key_streams (
  member_id text NOT NULL REFERENCES celeriac.gateway_members (member_id) ON DELETE CASCADE,
  caller text NOT NULL,
  streams integer NOT NULL CHECK (streams >= 0),
  PRIMARY KEY (member_id, caller)
);
CREATE INDEX IF NOT EXISTS gateway_key_streams_by_caller ON celeriac.gateway_key_streams (caller);
COMMENT ON TABLE celeriac.gateway_key_streams IS 'Open SSE + WebSocket streams per API key (caller) on each live gateway replica.';
COMMENT ON COLUMN celeriac.gateway_key_streams.caller IS 'The API key id, or address:<client address> when auth is disabled.';
