import { hash } from 'node:crypto';
import type { CeleryEvent, TaskEvent, WorkerEvent } from '@celeriac/proto/events';
import { BROKER_JSON_BOUNDS, exceedsJsonBounds } from './json-bounds';

/**
 * Turns one Celery event object (one element of a `task.multi` list, or a whole single-event body)
 * into the CeleryEvent envelope. Pure and deterministic: no clock, no I/O.
 *
 * Lossless rule: a field goes to its typed slot only when its JSON value has exactly that slot's
 * type; a `null` is kept in extra_json (so "sent as null" and "not sent" stay distinguishable) and
 * every other field goes to extra_json. `restoreCeleryObject` rebuilds the original object.
 */

export type RejectReason =
  | 'not-an-object'
  | 'too-complex'
  | 'out-of-range'
  | 'missing-field'
  | 'wrong-field-type'
  | 'unknown-type'
  | 'missing-uuid';

export type NormalizeResult =
  | { ok: true; event: CeleryEvent }
  | { ok: false; reason: RejectReason; detail: string };

export interface NormalizeContext {
  connectionId: string;
  /** Collector wall clock when the broker message arrived, epoch ms. */
  receivedAtMs: number;
}

type Kind = 'string' | 'int' | 'number' | 'bool' | 'numbers' | 'signum';
/** Inclusive bounds of a numeric slot (every element of a `numbers` slot). */
type Range = readonly [min: number, max: number];
type FieldTable = Record<string, readonly [slot: string, kind: Kind, range?: Range]>;

/*
 * Bounds rule. Numbers come from brokers anyone with broker access can write to, and downstream they
 * become PostgreSQL integer/bigint/timestamptz values, JS Dates and interval arithmetic, where a
 * value like 1e308 or -5 fails a whole batch or throws in a reader. So:
 *  - `timestamp` is the event's identity in time: outside epoch seconds 0..253402300799 (years
 *    1970..9999) the event is rejected (dead-lettered with its raw bytes, nothing lost);
 *  - any other numeric field outside its range below is not typed: it stays, as sent, in
 *    extra_json (so restoreCeleryObject still gives the original), and typed readers never see it.
 * Non-finite values cannot come out of JSON.parse (1e400 parses to Infinity, which fails the
 * "finite number" type check and is rejected as a wrong field type).
 */
const MAX_EPOCH_SECONDS = 253_402_300_799;
const INT4: Range = [0, 2_147_483_647];
const SAFE: Range = [0, Number.MAX_SAFE_INTEGER];

const COMMON: FieldTable = {
  hostname: ['hostname', 'string'],
  timestamp: ['timestamp', 'number'],
  clock: ['clock', 'int', SAFE],
  // Hours east of UTC; real zones lie within -12..+14.
  utcoffset: ['utcoffset', 'number', [-24, 24]],
  pid: ['pid', 'int', [0, 4_294_967_295]],
};

const MESSAGE_FIELDS: FieldTable = {
  name: ['name', 'string'],
  args: ['args', 'string'],
  kwargs: ['kwargs', 'string'],
  retries: ['retries', 'int', INT4],
  eta: ['eta', 'string'],
  expires: ['expires', 'string'],
  root_id: ['rootId', 'string'],
  parent_id: ['parentId', 'string'],
};
const ERROR_FIELDS: FieldTable = { exception: ['exception', 'string'], traceback: ['traceback', 'string'] };

// Typed fields per Celery event type (docs/celery-events.md, "Task events"). Custom task events
// (task-progress, ...) are valid and carry only `uuid` typed; everything else they send lands in
// extra_json.
const TASK_FIELDS: Record<string, FieldTable> = {
  'task-sent': {
    ...MESSAGE_FIELDS,
    queue: ['queue', 'string'],
    exchange: ['exchange', 'string'],
    routing_key: ['routingKey', 'string'],
  },
  'task-received': MESSAGE_FIELDS,
  'task-started': {},
  // A century of seconds: longer is a broken clock, not a task.
  'task-succeeded': { result: ['result', 'string'], runtime: ['runtime', 'number', [0, 3_155_760_000]] },
  'task-failed': ERROR_FIELDS,
  'task-retried': ERROR_FIELDS,
  'task-rejected': { requeue: ['requeue', 'bool'] },
  'task-revoked': {
    terminated: ['terminated', 'bool'],
    signum: ['signum', 'signum'],
    expired: ['expired', 'bool'],
  },
  'task-cancelled': {},
};

const HEART_FIELDS: FieldTable = {
  // Heartbeat interval in seconds: Celery's liveness window is 2 x freq, so 0 or a huge value would
  // make a worker look dead at once or alive forever.
  freq: ['freq', 'number', [0.001, 86_400]],
  active: ['active', 'int', INT4],
  processed: ['processed', 'int', SAFE],
  loadavg: ['loadavg', 'numbers', [0, 1e9]],
  sw_ident: ['swIdent', 'string'],
  sw_ver: ['swVer', 'string'],
  sw_sys: ['swSys', 'string'],
};
const WORKER_FIELDS: Record<string, FieldTable> = {
  'worker-online': HEART_FIELDS,
  'worker-heartbeat': HEART_FIELDS,
  'worker-offline': HEART_FIELDS,
  'worker-elect': {},
  'worker-elect-ack': {},
};

const CUSTOM_TASK_TYPE = /^task-[A-Za-z0-9_.-]{1,100}$/;

function matches(kind: Kind, value: unknown): boolean {
  switch (kind) {
    case 'string':
      return typeof value === 'string';
    case 'int':
      // Any integer; its slot's range then decides typed slot or extra_json. A worker's Lamport
      // clock jumps to the highest clock it hears, so one hostile 1e20 makes all its later events
      // carry a huge clock: those must still be accepted.
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'bool':
      return typeof value === 'boolean';
    case 'numbers':
      return Array.isArray(value) && value.every((item) => typeof item === 'number' && Number.isFinite(item));
    case 'signum':
      // An int from Request.terminate, a name/text when detected through a Terminated exception.
      return typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value));
  }
}

/** Canonical JSON: object keys sorted at every depth, so equal objects always give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const keys = new Set<string>();
  collectKeys(value, keys);
  // Fast path, run per event: with every key of every depth as the property list, sorted, native
  // JSON.stringify emits keys in that order at each depth. A "__proto__" key would read the prototype
  // where an object lacks it, so such input takes the explicit walk.
  if (keys.has('__proto__')) return canonicalWalk(value);
  return JSON.stringify(value, [...keys].sort());
}

function collectKeys(value: unknown, into: Set<string>): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const item of value) collectKeys(item, into);
    return;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    into.add(key);
    const child = record[key];
    if (child !== null && typeof child === 'object') collectKeys(child, into);
  }
}

function canonicalWalk(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalWalk).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalWalk(record[key])}`).join(',')}}`;
}

/** Longest task id and worker hostname accepted (Celery's are 36 and a host name's 253 characters). */
const MAX_UUID_CHARS = 255;
const MAX_HOSTNAME_CHARS = 512;

/** Why an identity field cannot become a key column, or undefined when it can. */
function identityProblem(name: string, value: string, max: number): string | undefined {
  if (value.length > max) return `${name} is ${value.length} characters, more than ${max}`;
  if (value.includes('\u0000')) return `${name} contains a NUL character`;
  return undefined;
}

/** The same Celery event on the same connection always hashes to the same id. */
export function eventIdOf(connectionId: string, raw: object): string {
  return hash('sha256', `${connectionId}\n${canonicalJson(raw)}`, 'hex');
}

function reject(reason: RejectReason, detail: string): NormalizeResult {
  return { ok: false, reason, detail };
}

interface Slot {
  slot: string;
  kind: Kind;
  range: Range | undefined;
  common: boolean;
}

function inRange(range: Range | undefined, value: unknown): boolean {
  if (!range) return true;
  if (typeof value === 'number') return value >= range[0] && value <= range[1];
  // loadavg: a list of a few numbers, each in range.
  if (Array.isArray(value))
    return value.length <= 16 && value.every((item) => item >= range[0] && item <= range[1]);
  return true;
}

// Lookup tables per event type, built once (this runs for every event the collector sees). Custom
// task types share one table, so the cache stays bounded whatever types a broker sends.
function buildTable(fields: FieldTable): Map<string, Slot> {
  const table = new Map<string, Slot>();
  for (const [key, [slot, kind, range]] of Object.entries(COMMON))
    table.set(key, { slot, kind, range, common: true });
  for (const [key, [slot, kind, range]] of Object.entries(fields))
    table.set(key, { slot, kind, range, common: false });
  return table;
}
const TASK_TABLES = new Map(Object.entries(TASK_FIELDS).map(([type, fields]) => [type, buildTable(fields)]));
const CUSTOM_TASK_TABLE = buildTable({});
const WORKER_TABLES = new Map(
  Object.entries(WORKER_FIELDS).map(([type, fields]) => [type, buildTable(fields)]),
);

function setField(target: Record<string, unknown>, key: string, value: unknown): void {
  // defineProperty for "__proto__", which plain assignment would turn into a prototype change.
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

export function normalizeCeleryEvent(raw: unknown, context: NormalizeContext): NormalizeResult {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return reject(
      'not-an-object',
      `event is ${Array.isArray(raw) ? 'an array' : raw === null ? 'null' : typeof raw}`,
    );
  }
  // Before anything walks it recursively (canonical JSON, stringify): see json-bounds.ts.
  const tooComplex = exceedsJsonBounds(raw, BROKER_JSON_BOUNDS);
  if (tooComplex) return reject('too-complex', `event has ${tooComplex}`);
  const source = raw as Record<string, unknown>;
  const type = source.type;
  if (typeof type !== 'string')
    return reject(type === undefined ? 'missing-field' : 'wrong-field-type', 'type must be a string');
  const isTask = type.startsWith('task-');
  const table = isTask
    ? (TASK_TABLES.get(type) ?? (CUSTOM_TASK_TYPE.test(type) ? CUSTOM_TASK_TABLE : undefined))
    : WORKER_TABLES.get(type);
  if (!table) return reject('unknown-type', `unknown event type ${JSON.stringify(type.slice(0, 100))}`);
  const uuid = source.uuid;
  if (isTask && typeof uuid !== 'string') {
    return uuid === undefined || uuid === null
      ? reject('missing-uuid', `${type} carries no uuid`)
      : reject('wrong-field-type', 'uuid must be a string');
  }
  if (source.hostname === undefined || source.hostname === null)
    return reject('missing-field', 'hostname is missing');
  if (source.timestamp === undefined || source.timestamp === null)
    return reject('missing-field', 'timestamp is missing');
  // uuid and hostname become primary-key columns downstream: a B-tree entry holds about 2.7 KB, and
  // PostgreSQL text holds no NUL. Refused here, so one hostile event cannot wedge a projector batch.
  const badIdentity = isTask ? identityProblem('uuid', uuid as string, MAX_UUID_CHARS) : undefined;
  const identity =
    badIdentity ??
    (typeof source.hostname === 'string'
      ? identityProblem('hostname', source.hostname, MAX_HOSTNAME_CHARS)
      : undefined);
  if (identity) return reject('out-of-range', identity);

  const common: Record<string, unknown> = {};
  const typed: Record<string, unknown> = isTask ? { uuid } : { loadavg: [] };
  // Keyed by field names a broker chose: no prototype, so no key can reach Object.prototype.
  const extra: Record<string, unknown> = Object.create(null);
  const keys = Object.keys(source);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (key === 'type' || (isTask && key === 'uuid')) continue;
    const value = source[key];
    const spec = table.get(key);
    // An empty loadavg stays in extra_json: the repeated slot cannot tell [] from "not sent".
    if (!spec || value === null || (Array.isArray(value) && value.length === 0)) {
      setField(extra, key, value);
      continue;
    }
    if (!matches(spec.kind, value))
      return reject('wrong-field-type', `${key} of ${type} must be ${spec.kind}`);
    if (!inRange(spec.range, value)) {
      setField(extra, key, value);
      continue;
    }
    const converted = spec.kind === 'signum' ? String(value) : value;
    if (spec.common) common[spec.slot] = converted;
    else typed[spec.slot] = converted;
  }

  const timestamp = common.timestamp as number;
  if (timestamp < 0 || timestamp > MAX_EPOCH_SECONDS)
    return reject('out-of-range', `timestamp ${timestamp} is not epoch seconds of years 1970-9999`);

  const body: CeleryEvent['body'] = isTask
    ? { $case: 'task', value: typed as unknown as TaskEvent }
    : { $case: 'worker', value: typed as unknown as WorkerEvent };
  return {
    ok: true,
    event: {
      eventId: eventIdOf(context.connectionId, source),
      connectionId: context.connectionId,
      type,
      hostname: common.hostname as string,
      timestamp,
      clock: common.clock as number | undefined,
      utcoffset: common.utcoffset as number | undefined,
      pid: common.pid as number | undefined,
      receivedAtMs: context.receivedAtMs,
      body,
      // Plain JSON.stringify: only eventId needs the canonical form, and this runs for every event.
      extraJson: JSON.stringify(extra),
    },
  };
}

const SLOT_TO_FIELD = new Map<string, string>(
  [...Object.values(TASK_FIELDS), HEART_FIELDS].flatMap((fields) =>
    Object.entries(fields).map(([key, [slot]]) => [slot, key] as [string, string]),
  ),
);

/**
 * Rebuilds the Celery object an event was normalized from (the inverse of normalizeCeleryEvent), for
 * consumers that want Celery's own field names. A numeric `signum` was kept as text and comes back
 * as a number when it is all digits.
 */
export function restoreCeleryObject(event: CeleryEvent): Record<string, unknown> {
  const restored: Record<string, unknown> = {
    type: event.type,
    hostname: event.hostname,
    timestamp: event.timestamp,
  };
  if (event.clock !== undefined) restored.clock = event.clock;
  if (event.utcoffset !== undefined) restored.utcoffset = event.utcoffset;
  if (event.pid !== undefined) restored.pid = event.pid;
  const typed: Record<string, unknown> =
    event.body?.$case === 'task' || event.body?.$case === 'worker' ? { ...event.body.value } : {};
  for (const [slot, value] of Object.entries(typed)) {
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    if (slot === 'uuid') restored.uuid = value;
    else if (slot === 'signum' && typeof value === 'string' && /^-?\d+$/.test(value))
      restored.signum = Number(value);
    else restored[SLOT_TO_FIELD.get(slot) ?? slot] = value;
  }
  for (const [key, value] of Object.entries(JSON.parse(event.extraJson) as Record<string, unknown>)) {
    // defineProperty, not assignment: a "__proto__" key Celery sent must stay a plain field.
    Object.defineProperty(restored, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return restored;
}
