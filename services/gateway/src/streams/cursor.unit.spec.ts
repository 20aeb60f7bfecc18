import { describe, expect, it } from 'vitest';
import { Cursor, formatEventId, parseEventId } from './cursor';

describe('stream event ids', () => {
  it('round-trips positions, index 0 without a suffix', () => {
    expect(formatEventId({ partition: 2, offset: 41, index: 0 })).toBe('2-41');
    expect(formatEventId({ partition: 2, offset: 41, index: 3 })).toBe('2-41-3');
    expect(parseEventId('2-41')).toEqual({ partition: 2, offset: 41, index: 0 });
    expect(parseEventId('2-41-3')).toEqual({ partition: 2, offset: 41, index: 3 });
  });

  it('rejects what is not an id', () => {
    for (const bad of ['', 'abc', '1-', '-1-2', '1-2-3-4', '1.5-2']) expect(parseEventId(bad)).toBeNull();
  });

  it('delivers only what comes after the cursor, per partition', () => {
    const cursor = Cursor.after({ partition: 1, offset: 10, index: 1 });
    expect(cursor.isNew(1, 10, 1)).toBe(false);
    expect(cursor.isNew(1, 10, 2)).toBe(true);
    expect(cursor.isNew(1, 9, 5)).toBe(false);
    expect(cursor.isNew(1, 11, 0)).toBe(true);
    expect(cursor.isNew(0, 0, 0)).toBe(true);
  });
});
