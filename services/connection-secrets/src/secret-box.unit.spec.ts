import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox, previousKeysOf } from './secret-box';

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

  it('opens rows sealed under a previous key during a rotation, and seals only under the new one', () => {
    const oldKey = randomBytes(32).toString('base64');
    const newKey = randomBytes(32).toString('base64');
    const sealedOld = createSecretBox(oldKey).seal('amqp://old@host');
    const rotating = createSecretBox(newKey, previousKeysOf(` ${oldKey} ,`));
    expect(rotating.open(sealedOld)).toBe('amqp://old@host');
    const resealed = rotating.seal(rotating.open(sealedOld));
    expect(createSecretBox(newKey).open(resealed)).toBe('amqp://old@host');
    expect(() => createSecretBox(oldKey).open(resealed)).toThrow();
    expect(() => createSecretBox(newKey).open(sealedOld)).toThrow(/none of the configured keys/);
  });

  it('names a previous key of the wrong size', () => {
    const key = randomBytes(32).toString('base64');
    expect(() => createSecretBox(key, [key, 'c2hvcnQ='])).toThrow(/previous secret key 2/);
  });
});
