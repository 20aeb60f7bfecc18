import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@celeriac/tests/harness/stack-env';
import { describe, expect, it } from 'vitest';
import { BEGIN, END, renderReference } from './config-reference';
import { schemaFields } from './schema-fields';
import { SERVICE_CONFIGS } from './service-configs';

const committed = readFileSync(join(REPO_ROOT, 'docs/operations.md'), 'utf8');
const reference = committed.slice(committed.indexOf(BEGIN), committed.indexOf(END) + END.length);

describe('docs/operations.md configuration reference', () => {
  it('is what `npm run docs:config` generates from the config schemas today', () => {
    expect(reference).toBe(renderReference(REPO_ROOT, SERVICE_CONFIGS));
  });

  it('has a row, with a description, for every variable of every process', () => {
    for (const service of SERVICE_CONFIGS)
      for (const field of schemaFields(service.schema)) {
        const row = reference
          .split('\n')
          .find(
            (line) =>
              line.startsWith(`| \`${field.key}\` |`) &&
              line.split(' | ')[1]?.split(', ').includes(service.name),
          );
        expect({ key: field.key, row: row !== undefined }).toEqual({ key: field.key, row: true });
        expect(row?.split(' | ').at(-1)).not.toBe(`${field.key} |`);
      }
  });
});
