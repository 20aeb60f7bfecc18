import pg from 'pg';
import { z } from 'zod';
import type { Logger } from './logger';

const ms = z.coerce.number().int().min(0);

/**
 * PostgreSQL timeouts every service's pool takes from its environment (spread into its config
 * schema), so no request, batch or start-up can hang on a database that stopped answering.
 */
export const pgTimeoutKnobs = {
  /** Giving up on opening a connection, ms. Default 5000. */
  CELERIAC_PG_CONNECT_TIMEOUT_MS: ms.default(5_000),
  /** Server-side cap on one statement (SET statement_timeout), ms; 0 = none. Default 30000. */
  CELERIAC_PG_STATEMENT_TIMEOUT_MS: ms.default(30_000),
  /**
   * Client-side cap on one query, ms, for a server that cannot even cancel (network gone); 0 = none.
   * Default 35000, above the statement timeout so PostgreSQL's own cancel normally wins.
   */
  CELERIAC_PG_QUERY_TIMEOUT_MS: ms.default(35_000),
  /** An idle pooled connection is closed after, ms. Default 30000. */
  CELERIAC_PG_IDLE_TIMEOUT_MS: ms.default(30_000),
  /** A session idle inside an open transaction is ended by the server after, ms; 0 = never. Default 60000. */
  CELERIAC_PG_IDLE_IN_TRANSACTION_TIMEOUT_MS: ms.default(60_000),
};

export interface PgTimeouts {
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  queryTimeoutMs: number;
  idleTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
}

/** The parsed knobs of `pgTimeoutKnobs` as one value. */
export function pgTimeoutsOf(env: { [K in keyof typeof pgTimeoutKnobs]: number }): PgTimeouts {
  return {
    connectTimeoutMs: env.CELERIAC_PG_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: env.CELERIAC_PG_STATEMENT_TIMEOUT_MS,
    queryTimeoutMs: env.CELERIAC_PG_QUERY_TIMEOUT_MS,
    idleTimeoutMs: env.CELERIAC_PG_IDLE_TIMEOUT_MS,
    idleInTransactionTimeoutMs: env.CELERIAC_PG_IDLE_IN_TRANSACTION_TIMEOUT_MS,
  };
}

/**
 * The one way services build a pg Pool. Besides the timeouts, every client gets an 'error' listener
 * for its whole life: pg-pool listens only while a client is idle, and a checked-out client (a
 * transaction in progress) whose server dies emits 'error', which without a listener would crash
 * the process. The query that was running still fails, and its caller handles that.
 */
export function createPgPool(options: {
  connectionString: string;
  max: number;
  timeouts: PgTimeouts;
  logger: Logger;
  /** application_name shown in pg_stat_activity. */
  applicationName?: string;
}): pg.Pool {
  const { timeouts } = options;
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max,
    application_name: options.applicationName,
    connectionTimeoutMillis: timeouts.connectTimeoutMs,
    idleTimeoutMillis: timeouts.idleTimeoutMs,
    statement_timeout: timeouts.statementTimeoutMs || undefined,
    query_timeout: timeouts.queryTimeoutMs || undefined,
    idle_in_transaction_session_timeout: timeouts.idleInTransactionTimeoutMs || undefined,
    // Detects a peer that vanished without closing (host down, network cut) on idle connections.
    keepAlive: true,
  });
  const log = options.logger.child({ component: 'pg-pool' });
  pool.on('error', (error) => log.warn({ err: error }, 'idle PostgreSQL client failed'));
  pool.on('connect', (client) => {
    client.on('error', (error) => log.warn({ err: error }, 'PostgreSQL connection failed'));
  });
  return pool;
}

/** The knobs' defaults, for tools and tests that build a pool without a service's environment. */
export const defaultPgTimeouts: PgTimeouts = pgTimeoutsOf(z.object(pgTimeoutKnobs).parse({}));
