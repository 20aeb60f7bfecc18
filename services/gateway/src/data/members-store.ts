import type pg from 'pg';

/** A live gateway replica: its id and where its peer gRPC service listens. */
export interface Member {
  readonly memberId: string;
  readonly peerAddress: string;
}

/** All SQL of gateway membership (table celeriac.gateway_members, migration 0012). Times are the database's. */
export function createMembersStore(pool: pg.Pool) {
  return {
    /**
     * Registers or renews this replica for `ttlMs`, drops rows that expired, and returns every live
     * member (this one included), in one round trip so every replica's view is one snapshot.
     */
    async heartbeat(self: Member, ttlMs: number): Promise<Member[]> {
      const { rows } = await pool.query<{ member_id: string; peer_address: string }>(
        `WITH renewed AS (
           INSERT INTO celeriac.gateway_members AS m (member_id, peer_address, expires_at)
           VALUES ($1, $2, now() + make_interval(secs => $3 / 1000.0))
           ON CONFLICT (member_id) DO UPDATE
             SET peer_address = EXCLUDED.peer_address, renewed_at = now(), expires_at = EXCLUDED.expires_at
           RETURNING member_id, peer_address
         ), swept AS (
           DELETE FROM celeriac.gateway_members WHERE expires_at < now() - interval '1 minute'
         )
         SELECT member_id, peer_address FROM celeriac.gateway_members
          WHERE expires_at > now() AND member_id <> $1
         UNION ALL SELECT member_id, peer_address FROM renewed
         ORDER BY member_id`,
        [self.memberId, self.peerAddress, ttlMs],
      );
      return rows.map((row) => ({ memberId: row.member_id, peerAddress: row.peer_address }));
    },

    /** A replica that stops leaves at once, so its partitions move without waiting for the TTL. */
    async leave(memberId: string): Promise<void> {
      await pool.query('DELETE FROM celeriac.gateway_members WHERE member_id = $1', [memberId]);
    },
  };
}

export type MembersStore = ReturnType<typeof createMembersStore>;
