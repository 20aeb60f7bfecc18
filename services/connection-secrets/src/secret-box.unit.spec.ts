import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox } from './secret-box';

describe('secret box', () => {
  const box = createSecretBox(randomBytes(32).toString('base64'));

  it('opens what it sealed, and the sealed bytes do not contain the URL', () => {
    const url = 'amqp://user:s3cret@rabbit.example:5672/prod';
    const sealed = box.seal(url);
    expect(sealed.toString('latin1')).not.toContain('s3cret');
    expect(box.open(sealed)).toBe(url);
  });

  it('refuses tampered ciphertext and a wrong key', () => {
    const sealed = box.seal('amqp://localhost');
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
    expect(() => box.open(tampered)).toThrow();
    expect(() => createSecretBox(randomBytes(32).toString('base64')).open(sealed)).toThrow();
  });

  it('rejects a key of the wrong size', () => {
    expect(() => createSecretBox(randomBytes(16).toString('base64'))).toThrow(/32 bytes/);
  });
});
