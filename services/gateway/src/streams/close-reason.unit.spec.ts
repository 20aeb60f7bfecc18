import { describe, expect, it } from 'vitest';
import { closeReason, MAX_CLOSE_REASON_BYTES } from './close-reason';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

describe('closeReason', () => {
  it('keeps a short reason as it is', () => {
    expect(closeReason('slow-consumer')).toBe('slow-consumer');
  });

  it.each([
    ['two-byte', 'é'],
    ['three-byte', '€'],
    ['four-byte', '𝄞'],
  ])('cuts a long %s text on a character boundary within 123 bytes', (_name, char) => {
    const reason = closeReason(`Invalid connectionId '${char.repeat(500)}'`);
    expect(bytes(reason)).toBeLessThanOrEqual(MAX_CLOSE_REASON_BYTES);
    expect(bytes(reason)).toBeGreaterThan(MAX_CLOSE_REASON_BYTES - 4);
    // Round-trips through UTF-8 unchanged: no half character, no replacement character.
    expect(Buffer.from(reason, 'utf8').toString('utf8')).toBe(reason);
    expect(reason.startsWith("Invalid connectionId '")).toBe(true);
  });

  it('drops lone surrogates instead of sending a replacement character', () => {
    expect(closeReason('a\ud800b')).toBe('ab');
  });
});
