/**
 * Kinds of hostile `celeryev` messages for the collector's int tests, each with what the collector
 * must make of it: one dead letter ('dead'), normalized events ('event'; its usable element has uuid
 * `junk-<n>`), or both (a list mixing usable and unusable elements).
 */
export type Outcome = 'dead' | 'event' | 'both';

export interface HostileKind {
  name: string;
  outcome: Outcome;
  make(n: number): { body: Buffer; contentType?: string };
}

export const JUNK_HOSTS = new Set(['junk@test', '__proto__', 'constructor', 'hasOwnProperty']);

const text = (body: string) => ({ body: Buffer.from(body) });
const json = (value: unknown) => text(JSON.stringify(value));
const event = (n: number, extra: Record<string, unknown> = {}) => ({
  type: 'task-started',
  uuid: `junk-${n}`,
  hostname: 'junk@test',
  timestamp: 1_700_000_000 + n,
  ...extra,
});

export const HOSTILE_KINDS: HostileKind[] = [
  { name: 'not-json', outcome: 'dead', make: () => text('{"type": "task-started", oops') },
  {
    name: 'pickle',
    outcome: 'dead',
    make: (n) => ({ ...json(event(n)), contentType: 'application/x-python-serialize' }),
  },
  {
    name: 'not-utf8',
    outcome: 'dead',
    make: () => ({ body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) }),
  },
  { name: 'oversized-list', outcome: 'dead', make: () => text(`[${Array(1_001).fill('0').join(',')}]`) },
  {
    name: 'deep-nesting',
    outcome: 'dead',
    make: (n) => text(JSON.stringify(event(n)).replace(/}$/, `,"x":${'['.repeat(500)}${']'.repeat(500)}}`)),
  },
  {
    name: 'overflowing-number',
    outcome: 'dead',
    make: (n) => text(JSON.stringify(event(n)).replace(/"timestamp":\d+/, '"timestamp":1e400')),
  },
  { name: 'huge-timestamp', outcome: 'dead', make: (n) => json(event(n, { timestamp: 1e308 })) },
  { name: 'negative-timestamp', outcome: 'dead', make: (n) => json(event(n, { timestamp: -86_400 })) },
  { name: 'string-timestamp', outcome: 'dead', make: (n) => json(event(n, { timestamp: 'yesterday' })) },
  // Accepted with the clock in extra_json: a worker hearing this adopts the clock for its own events.
  { name: 'huge-clock', outcome: 'event', make: (n) => json(event(n, { clock: 1e20 })) },
  {
    name: 'proto-element',
    outcome: 'dead',
    make: () => text('[{"__proto__":{"type":"task-started","uuid":"x"}}]'),
  },
  { name: 'number', outcome: 'dead', make: () => text('-1e999') },
  {
    name: 'proto-hostname',
    outcome: 'event',
    make: (n) =>
      text(
        JSON.stringify([event(n, { hostname: '__proto__' })]).replace(/}]$/, ',"__proto__":{"polluted":1}}]'),
      ),
  },
  {
    name: 'out-of-range-fields',
    outcome: 'event',
    make: (n) => json(event(n, { hostname: 'constructor', pid: -5, utcoffset: 1e6, clock: -1 })),
  },
  {
    name: 'mixed-list',
    outcome: 'both',
    make: (n) =>
      json([
        event(n, { hostname: 'hasOwnProperty' }),
        { type: 'task-failed', hostname: 'junk@test', timestamp: 1 },
      ]),
  },
];
