import { describe, expect, it } from 'vitest';
import { parseSearch } from '../flower/search-parser';
import { parseSortBy } from '../flower/task-sort';
import { searchToSql, sortToSql } from './task-listing-sql';

describe('task listing SQL', () => {
  it('compiles to bind parameters only, with LIKE wildcards escaped', () => {
    const values: unknown[] = [];
    const sql = searchToSql(parseSearch("100% state:failure OR worker:'_x;") as never, values);
    const any = ['uuid', 'name', 'state', 'worker', 'args', 'kwargs', 'result'].map((c) => `${c} ILIKE $1`);
    expect(sql).toBe(`(((${any.join(' OR ')}) AND state = $2) OR worker ILIKE $3)`);
    expect(values).toEqual(['%100\\%%', 'FAILURE', "%'\\_x;%"]);
  });

  it('sorts times like Flower 2.1 (nulls first ascending, last descending, ties by uuid), names along their index', () => {
    expect(sortToSql(parseSortBy('name'))).toBe('name ASC NULLS LAST, received DESC NULLS LAST, uuid DESC');
    expect(sortToSql(parseSortBy('-state'))).toBe(
      'state DESC NULLS FIRST, received ASC NULLS FIRST, uuid ASC',
    );
    expect(sortToSql(parseSortBy('received'))).toBe('received ASC NULLS FIRST, uuid ASC');
    expect(sortToSql(parseSortBy('-started'))).toBe('started DESC NULLS LAST, uuid DESC');
    expect(sortToSql(parseSortBy(undefined))).toBe('"timestamp" DESC NULLS LAST, uuid DESC');
  });
});
