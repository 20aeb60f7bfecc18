-- Windows in which a collector could not see a connection's events (Redis pub/sub keeps nothing for a
-- subscriber that is away, and a full buffer drops instead of letting Redis cut the subscriber off).
-- One row per window: written when it opens, closed (ended_at, counts) when it ends. A window whose
-- start nobody saw (a takeover after a crash) is one 'subscribed' row at the moment of detection.
-- Bounded: the collector keeps the newest rows of each connection only (see its gap recorder).
CREATE TABLE IF NOT EXISTS celeriac.event_gaps (
  gap_id bigserial PRIMARY KEY,
  connection_id uuid NOT NULL REFERENCES celeriac.connections (connection_id) ON DELETE CASCADE,
  cause text NOT NULL CHECK (cause IN ('buffer-full', 'disconnected', 'subscribed')),
  collector_id text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  ended_at timestamptz,
  dropped_messages bigint,
  dropped_bytes bigint
);
CREATE INDEX IF NOT EXISTS event_gaps_newest ON celeriac.event_gaps (connection_id, gap_id DESC);
COMMENT ON TABLE celeriac.event_gaps IS 'Windows in which a connection''s events were not (all) seen: the visible form of event loss.';
COMMENT ON COLUMN celeriac.event_gaps.cause IS 'buffer-full: Kafka was slow and events were dropped; disconnected: the subscription was lost; subscribed: a (re)subscription began, whatever was published before it (e.g. during a takeover) was not seen.';
COMMENT ON COLUMN celeriac.event_gaps.ended_at IS 'When the window closed; NULL while it is open (or if the collector died in it). Equals started_at for a subscribed row.';
COMMENT ON COLUMN celeriac.event_gaps.dropped_messages IS 'Messages counted as dropped in the window; NULL when they could not be counted (nobody received them).';
COMMENT ON COLUMN celeriac.event_gaps.dropped_bytes IS 'Bytes of the dropped messages; NULL when not counted.';
