import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 1;

function keyOf(base64Key: string, name: string): Buffer {
  const key = Buffer.from(base64Key.trim(), 'base64');
  if (key.length !== 32) throw new Error(`${name} must be 32 bytes, base64-encoded`);
  return key;
}

function openWith(key: Buffer, sealed: Buffer): string {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 13));
  decipher.setAuthTag(sealed.subarray(13, 29));
  return Buffer.concat([decipher.update(sealed.subarray(29)), decipher.final()]).toString('utf8');
}

/** CELERIAC_SECRET_KEY_PREVIOUS: comma-separated base64 keys, newest first. */
export function previousKeysOf(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}

/**
 * Encrypts broker URLs at rest with AES-256-GCM. Layout: version(1) | iv(12) | tag(16) | ciphertext.
 * The key is 32 bytes, given base64-encoded in CELERIAC_SECRET_KEY to gateway (writes) and collector
 * (reads). Sealing always uses that key; opening also tries the previous keys, so a key can be
 * rotated without downtime: roll out the new key with the old one as previous, re-seal every row
 * (`connections reseal`), then drop the previous key. GCM's tag tells a wrong key from the right one.
 */
export function createSecretBox(base64Key: string, previousKeys: readonly string[] = []) {
  const key = keyOf(base64Key, 'the secret key');
  const keys = [key, ...previousKeys.map((previous, i) => keyOf(previous, `previous secret key ${i + 1}`))];
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
      for (const candidate of keys) {
        try {
          return openWith(candidate, sealed);
        } catch {
          // Not sealed under this key: GCM's tag does not verify; try the next one.
        }
      }
      throw new Error(
        'sealed under none of the configured keys (CELERIAC_SECRET_KEY, CELERIAC_SECRET_KEY_PREVIOUS)',
      );
    },
  };
}

export type SecretBox = ReturnType<typeof createSecretBox>;
