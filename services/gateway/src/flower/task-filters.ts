import { BadRequestError } from '../errors';
import type { Params } from '../http/params';
import { parseSearch, type SearchNode } from './search-parser';

/** The /api/tasks filters, shared by the Flower listing and /api/v1/tasks. */
export interface TaskFilter {
  workername?: string;
  taskname?: string;
  state?: string;
  /** /api/v1/tasks only: the queue the task was routed to (Flower's API has no such filter). */
  queue?: string;
  receivedStart?: number;
  receivedEnd?: number;
  search?: SearchNode;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})$/;

/**
 * Flower's `%Y-%m-%d %H:%M`. Flower reads it in its host's time zone; a fleet of gateway replicas must
 * agree, so Celeriac reads it as UTC (documented difference).
 */
export function parseReceivedBound(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const match = value.length === 16 ? DATE.exec(value) : null;
  const [year, month, day, hour, minute] = (match?.slice(1) ?? []).map(Number) as number[];
  const epochMs = Date.UTC(year ?? 0, (month ?? 1) - 1, day, hour, minute);
  const date = new Date(epochMs);
  if (!match || date.getUTCMonth() !== (month ?? 0) - 1 || date.getUTCDate() !== day || (hour ?? 0) > 23) {
    throw new BadRequestError(`Invalid ${name} '${value}': expected 'YYYY-MM-DD HH:MM' (UTC)`);
  }
  return epochMs / 1000;
}

/** `All` means no filter in Flower's UI; an empty value likewise. */
function filterValue(value: string | undefined): string | undefined {
  return value === undefined || value === '' || value === 'All' ? undefined : value;
}

/** Worker hostnames, task names and states are bounded where they are stored; longer matches nothing. */
function bounded(params: Params, name: string, max: number): string | undefined {
  const value = params.string(name);
  if (value !== undefined && value.length > max)
    throw new BadRequestError(`Parameter '${name}' is longer than ${max} characters`);
  return filterValue(value);
}

export function readTaskFilter(params: Params): TaskFilter {
  const search = params.string('search');
  return {
    workername: bounded(params, 'workername', 512),
    taskname: bounded(params, 'taskname', 255),
    state: bounded(params, 'state', 32)?.toUpperCase(),
    receivedStart: parseReceivedBound('received_start', params.string('received_start')),
    receivedEnd: parseReceivedBound('received_end', params.string('received_end')),
    search: search ? (parseSearch(search) ?? undefined) : undefined,
  };
}

/** The queue filter of /api/v1/tasks: queue names are bounded by AMQP's 255-byte short strings. */
export function readQueueFilter(params: Params): string | undefined {
  return bounded(params, 'queue', 255);
}
