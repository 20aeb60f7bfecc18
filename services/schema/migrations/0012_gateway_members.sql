-- Gateway replicas that coordinate: each live replica renews its row every few seconds; a row whose
-- expires_at has passed is a replica that died (kill -9, lost network) and is ignored by the others.
-- The live rows decide, by rendezvous hashing in every replica, which replica tails which partition
-- of the events topic and serves it to the others over gRPC (peer_address).
CREATE TABLE IF NOT EXISTS celeriac.gateway_members (
  member_id text PRIMARY KEY,
  peer_address text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  renewed_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS gateway_members_by_expiry ON celeriac.gateway_members (expires_at);
COMMENT ON TABLE celeriac.gateway_members IS 'Live gateway replicas (heartbeat rows); expired rows are dead replicas, deleted by the next replica that renews.';
COMMENT ON COLUMN celeriac.gateway_members.peer_address IS 'host:port of the replica''s peer gRPC service (relay of stream records).';
