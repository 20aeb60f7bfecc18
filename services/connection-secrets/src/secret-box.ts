import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 1;

/**
 * Encrypts broker URLs at rest with AES-256-GCM. Layout: version(1) | iv(12) | tag(16) | ciphertext.
 * The key is 32 bytes, given base64-encoded in CELERIAC_SECRET_KEY to gateway (writes) and collector
 * (reads).
 */
export function createSecretBox(base64Key: string) {
  const key = Buffer.from(base64Key, 'base64');
  if (key.length !== 32) throw new Error('the secret key must be 32 bytes, base64-encoded');
  return {
    seal(plaintext: string): Buffer {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
    },
    open(sealed: Buffer): string {
      if (sealed.length < 29 || sealed[0] !== VERSION)
        throw new Error('not a sealed secret of a known version');
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 13));
      decipher.setAuthTag(sealed.subarray(13, 29));
      return Buffer.concat([decipher.update(sealed.subarray(29)), decipher.final()]).toString('utf8');
    },
  };
}

export type SecretBox = ReturnType<typeof createSecretBox>;
