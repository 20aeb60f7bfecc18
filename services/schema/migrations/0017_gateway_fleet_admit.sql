-- A gateway replica's admission of a stream or result wait against the fleet-wide limits, in one
-- round trip instead of a transaction of five statements (the admissions of one key are serialized
-- on its replica, so their round trips add up when a client opens many streams at once). Under the
-- key's then the connection's advisory lock (always that order), the other live replicas' slots are
-- summed; when they plus this replica's own counts stay within both limits, this replica's counts are
-- recorded and NULL is returned, otherwise nothing changes and the scope whose limit is reached is.
-- Each statement of a plpgsql function sees what was committed before it started, so the sums are
-- read after the locks are held.
CREATE OR REPLACE FUNCTION celeriac.gateway_fleet_admit(
  p_member_id text,
  p_kind text,
  p_caller text,
  p_connection text,
  p_key_here integer,
  p_connection_here integer,
  p_key_limit integer,
  p_connection_limit integer
) RETURNS text
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
  others_key bigint;
  others_connection bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('celeriac.fleet_slots:' || p_kind || ':key:' || p_caller, 0));
  PERFORM pg_advisory_xact_lock(hashtextextended('celeriac.fleet_slots:' || p_kind || ':connection:' || p_connection, 0));
  SELECT coalesce(sum(s.held) FILTER (WHERE s.scope = 'key'), 0),
         coalesce(sum(s.held) FILTER (WHERE s.scope = 'connection'), 0)
    INTO others_key, others_connection
    FROM celeriac.gateway_fleet_slots s
    JOIN celeriac.gateway_members m ON m.member_id = s.member_id AND m.expires_at > now()
   WHERE s.kind = p_kind AND s.member_id <> p_member_id
     AND ((s.scope = 'key' AND s.holder = p_caller) OR (s.scope = 'connection' AND s.holder = p_connection));
  IF others_key + p_key_here > p_key_limit THEN
    RETURN 'key';
  END IF;
  IF others_connection + p_connection_here > p_connection_limit THEN
    RETURN 'connection';
  END IF;
  DELETE FROM celeriac.gateway_fleet_slots
   WHERE member_id = p_member_id AND kind = p_kind
     AND ((scope = 'key' AND holder = p_caller AND p_key_here = 0)
       OR (scope = 'connection' AND holder = p_connection AND p_connection_here = 0));
  INSERT INTO celeriac.gateway_fleet_slots AS s (member_id, kind, scope, holder, held)
  SELECT p_member_id, p_kind, c.scope, c.holder, c.held
    FROM (VALUES ('key', p_caller, p_key_here), ('connection', p_connection, p_connection_here))
      AS c (scope, holder, held)
   WHERE c.held > 0
  ON CONFLICT (member_id, kind, scope, holder) DO UPDATE SET held = EXCLUDED.held;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION celeriac.gateway_fleet_admit(text, text, text, text, integer, integer, integer, integer)
  IS 'Admits a gateway stream or result wait against the per-key and per-connection limits summed over the live replicas; NULL when admitted (and this replica''s counts recorded), else the scope refused.';
