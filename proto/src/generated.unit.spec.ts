import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('generated protobuf code', () => {
  it('is exactly what the committed .proto files generate', () => {
    const script = fileURLToPath(new URL('../scripts/gen.sh', import.meta.url));
    // gen.sh --check regenerates into a temporary folder and diffs; it exits non-zero on any difference.
    const output = execFileSync('bash', [script, '--check'], { encoding: 'utf8' });
    expect(output).toContain('matches');
  });
});
