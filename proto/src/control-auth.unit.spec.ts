import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { controlCallAuthorized, resolveControlToken } from './control-auth';

const TOKEN = 'a-token-of-enough-length';
const withAuth = (value?: string) => {
  const metadata = new Metadata();
  if (value !== undefined) metadata.set('authorization', value);
  return metadata;
};

describe('resolveControlToken', () => {
  it('refuses to run without a token unless auth is explicitly disabled', () => {
    expect(() => resolveControlToken({ disabled: false })).toThrow(/CELERIAC_CONTROL_TOKEN/);
    expect(() => resolveControlToken({ token: 'short', disabled: false })).toThrow(/at least 16/);
    expect(resolveControlToken({ disabled: true })).toBeUndefined();
    expect(resolveControlToken({ token: TOKEN, disabled: false })).toBe(TOKEN);
  });

  it('reads the token from a file, trimmed, and never echoes it in errors', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'control-token-')), 'token');
    writeFileSync(file, `${TOKEN}\n`);
    expect(resolveControlToken({ tokenFile: file, disabled: false })).toBe(TOKEN);
    writeFileSync(file, 'tiny-secret');
    expect(() => resolveControlToken({ tokenFile: file, disabled: false })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('tiny-secret') }),
    );
  });
});

describe('controlCallAuthorized', () => {
  it('accepts only the exact bearer token', () => {
    expect(controlCallAuthorized(TOKEN, withAuth(`Bearer ${TOKEN}`))).toBe(true);
    for (const presented of [undefined, '', TOKEN, `Bearer ${TOKEN}x`, `bearer ${TOKEN}`, 'x'.repeat(10_000)])
      expect(controlCallAuthorized(TOKEN, withAuth(presented)), String(presented).slice(0, 40)).toBe(false);
  });
});
