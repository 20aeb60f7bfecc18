import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertConnection, insertKey, startTestGateway, type TestGateway } from '../testing/gateway-fixture';
import { insertTask } from '../testing/read-model-rows';

// /api/v1/tasks sorted and filtered by queue over a real PostgreSQL read model: values repeat (ties)
// and are missing on some tasks, the cases where a keyset cursor loses or repeats rows.
let gw: TestGateway;
let key: string;
const TASKS = 47;

interface Item {
  uuid: string;
  received: number | null;
  started: number | null;
  runtime: number | null;
  timestamp: number;
}

beforeAll(async () => {
  gw = await startTestGateway();
  const connectionId = await insertConnection(gw.pool, 'listing');
  for (let index = 0; index < TASKS; index += 1) {
    await insertTask(gw.pool, connectionId, {
      uuid: `t-${String(index).padStart(2, '0')}`,
      name: 'listing.work',
      state: index % 5 === 0 ? 'RECEIVED' : 'SUCCESS',
      queue: index % 3 === 0 ? 'priority' : 'celery',
      received: index % 7 === 0 ? null : 1_700_000_000 + (index % 4),
      started: index % 5 === 0 ? null : 1_700_000_010 + (index % 6),
      runtime: index % 5 === 0 ? null : (index % 3) * 0.5,
      timestamp: 1_700_000_100 + (index % 9),
    });
  }
  key = await insertKey(gw.pool, 'viewer', [connectionId]);
});
afterAll(async () => {
  await gw?.close();
});

const get = (path: string) => gw.request('GET', path, { key });

async function walk(query: string): Promise<Item[]> {
  const items: Item[] = [];
  let cursor: string | null = '';
  while (cursor !== null) {
    const reply = await get(`/api/v1/tasks?limit=4&${query}&cursor=${cursor}`);
    expect(reply.status).toBe(200);
    items.push(...reply.json.items);
    cursor = reply.json.nextCursor;
  }
  return items;
}

/** The order a user expects: by value (missing last when descending, first ascending), ties by uuid. */
function expected(items: Item[], column: keyof Item, descending: boolean): string[] {
  const sign = descending ? -1 : 1;
  const rank = (value: unknown) => (value === null ? Number.NEGATIVE_INFINITY : (value as number));
  return items
    .slice()
    .sort((a, b) => sign * (rank(a[column]) - rank(b[column]) || a.uuid.localeCompare(b.uuid)))
    .map((item) => item.uuid);
}

describe('GET /api/v1/tasks?sort=', () => {
  for (const column of ['received', 'started', 'runtime', 'timestamp'] as const) {
    for (const descending of [false, true]) {
      const sort = `${descending ? '-' : ''}${column}`;
      it(`walks every task once in ${sort} order across pages of 4`, async () => {
        const items = await walk(`sort=${sort}`);
        const uuids = items.map((item) => item.uuid);
        expect(new Set(uuids).size).toBe(TASKS);
        expect(uuids).toEqual(expected(items, column, descending));
      });
    }
  }

  it('refuses an unknown sort and a cursor of another sort with a 400 saying why', async () => {
    const bad = await get('/api/v1/tasks?sort=args');
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/Invalid sort/);
    const first = await get('/api/v1/tasks?limit=2&sort=received');
    const mixed = await get(`/api/v1/tasks?limit=2&sort=-runtime&cursor=${first.json.nextCursor}`);
    expect(mixed.status).toBe(400);
    expect(mixed.json.error).toMatch(/Cursor belongs to sort 'received'/);
  });
});

describe('GET /api/v1/tasks?queue=', () => {
  it('lists only the tasks routed to that queue, across pages', async () => {
    const items = await walk('queue=priority&sort=-received');
    expect(items.map((item) => item.uuid).sort()).toEqual(
      Array.from({ length: TASKS }, (_, index) => index)
        .filter((index) => index % 3 === 0)
        .map((index) => `t-${String(index).padStart(2, '0')}`),
    );
    expect((await get('/api/v1/tasks?queue=nope')).json.items).toEqual([]);
  });

  it('answers 400 for a queue name longer than AMQP allows', async () => {
    const reply = await get(`/api/v1/tasks?queue=${'q'.repeat(256)}`);
    expect(reply.status).toBe(400);
    expect(reply.json.error).toMatch(/'queue' is longer than 255/);
  });
});
