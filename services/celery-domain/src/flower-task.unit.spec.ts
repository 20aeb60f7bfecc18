import { describe, expect, it } from 'vitest';
import { FLOWER_TASK_JSON_SQL, FLOWER_TASK_KEYS, flowerTaskObject } from './flower-task';

const row = Object.fromEntries(FLOWER_TASK_KEYS.map(([, column]) => [column, `v-${column}`]));

/** The keys json_build_object is given in one branch of the SQL, in order. */
const sqlKeys = (branch: string) => [...branch.matchAll(/'([a-z_]+)', /g)].map((match) => match[1]);

describe("Flower's task object from one key list", () => {
  it('has 31 keys, and the SQL and TypeScript builders give the same keys in the same order', () => {
    const [withoutWorker, withWorker] = FLOWER_TASK_JSON_SQL.split(' ELSE ');
    expect(Object.keys(flowerTaskObject(row, true))).toHaveLength(31);
    expect(sqlKeys(withWorker as string)).toEqual(Object.keys(flowerTaskObject(row, true)));
    expect(sqlKeys(withoutWorker as string)).toEqual(
      Object.keys(flowerTaskObject({ ...row, worker: null }, false)),
    );
  });

  it('mirrors root/parent ids and turns a bigint clock into a number', () => {
    const task = flowerTaskObject({ ...row, clock: '42', children: null }, true);
    expect(task).toMatchObject({ root: 'v-root_id', root_id: 'v-root_id', parent: 'v-parent_id', clock: 42 });
    expect(task.children).toEqual([]);
  });
});
