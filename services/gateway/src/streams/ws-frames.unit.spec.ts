import { describe, expect, it } from 'vitest';
import { wsFrame } from './ws-frames';

describe('wsFrame', () => {
  it('keeps a broker field named __proto__ as an ordinary field of the frame', () => {
    const fields = JSON.parse('{"uuid":"t1","type":"task-succeeded","__proto__":{"polluted":true}}');
    const frame = JSON.parse(wsFrame(fields, 1_700_000_000_000));
    expect(Object.getOwnPropertyDescriptor(frame, '__proto__')?.value).toEqual({ polluted: true });
    expect(frame.uuid).toBe('t1');
    expect(frame.local_received).toBe(1_700_000_000);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
