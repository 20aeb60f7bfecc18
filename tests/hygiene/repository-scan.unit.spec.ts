import { describe, expect, it } from 'vitest';
import {
  expandWorkspaces,
  FOREIGN_CITATIONS,
  findCitations,
  findCrossWorkspaceImports,
  workspaceOf,
} from './repository-scan';

const WORKSPACES = ['proto', 'services/collector', 'services/gateway', 'tests'];
// Import lines are assembled so that this file does not itself contain a cross-workspace import.
const importLine = (specifier: string) => ['import { waitFor } from ', `'${specifier}';`].join('');

describe('findCitations', () => {
  it('reports each line citing a private document, whatever its case', () => {
    // Built at run time, so this file itself cites nothing for the guard to find.
    const first = ['wire', 'protocol §'].join(' ');
    const last = ['other', 'engineers'].join(' ');
    const text = `const a = 1;\n// see ${first}1.6\n/* ${last.toUpperCase()} says */`;
    expect(FOREIGN_CITATIONS.length).toBeGreaterThan(0);
    expect(findCitations('x.ts', text)).toEqual([
      { file: 'x.ts', line: 2, found: first },
      { file: 'x.ts', line: 3, found: last.toUpperCase() },
    ]);
  });

  it('accepts citations of the repository own documents', () => {
    expect(findCitations('x.ts', '// docs/celery-events.md, "Task events"; docs/architecture.md')).toEqual(
      [],
    );
  });
});

describe('findCrossWorkspaceImports', () => {
  it('reports an import climbing from a service into the tests workspace or another service', () => {
    const text = [
      importLine('../../../tests/harness/wait-for'),
      importLine('../../../collector/testing/collector-harness'),
      // Not a static or dynamic import: a file path read at run time.
      ['const fixture = new URL(', "'../../../tests/fixtures/a.jsonl', import.meta.url);"].join(''),
    ].join('\n');
    expect(findCrossWorkspaceImports('services/gateway/src/streams/a.int.spec.ts', text, WORKSPACES)).toEqual(
      [
        {
          file: 'services/gateway/src/streams/a.int.spec.ts',
          line: 1,
          found: '../../../tests/harness/wait-for',
        },
        {
          file: 'services/gateway/src/streams/a.int.spec.ts',
          line: 2,
          found: '../../../collector/testing/collector-harness',
        },
      ],
    );
  });

  it('accepts imports that stay inside the workspace and package-name imports', () => {
    const text = [
      importLine('../../auth/principal'),
      importLine('./b'),
      importLine('@celeriac/tests/x'),
    ].join('\n');
    expect(findCrossWorkspaceImports('services/gateway/src/streams/a.ts', text, WORKSPACES)).toEqual([]);
  });

  it('reports a file outside every workspace importing from one, and ignores non-script files', () => {
    const text = importLine('../../tests/harness/free-port');
    expect(findCrossWorkspaceImports('infra/prometheus/p.ts', text, WORKSPACES)).toHaveLength(1);
    expect(findCrossWorkspaceImports('infra/prometheus/README.md', text, WORKSPACES)).toEqual([]);
  });
});

describe('workspaces', () => {
  it('expands `dir/*` globs and picks the longest workspace holding a file', () => {
    const listed = expandWorkspaces(['proto', 'services/*'], () => ['collector', 'gateway']);
    expect(listed).toEqual(['proto', 'services/collector', 'services/gateway']);
    expect(workspaceOf('services/gateway/src/a.ts', listed)).toBe('services/gateway');
    expect(workspaceOf('services/gateway-old/a.ts', listed)).toBe('');
  });
});
