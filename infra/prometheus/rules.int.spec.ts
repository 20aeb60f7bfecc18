import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { readRuleFile, replaceAlertExprs } from './rule-file';

const run = promisify(execFile);
const DIR = import.meta.dirname;
const RULE_FILES = ['celeriac-recording.yml', 'celeriac-alerts.yml'];
const TESTS = 'celeriac-rules.test.yml';
/** The test group of the test file where no alert may fire. */
const HEALTHY = 'healthy cluster';

/** promtool from Debian's prometheus package (infra/local/test.sh installs it). */
async function promtool(args: string[], cwd = DIR): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd, timeout: 120_000 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    if (failed.code === 'ENOENT') throw new Error('promtool not found: apt-get install -y prometheus');
    return { code: Number(failed.code), output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

/** Alerts promtool reports as failing, with the test group of each failure. */
function failures(output: string): { group: string; alert: string }[] {
  return [...output.matchAll(/name: ([^,\n]+),\s*alertname: (\w+),/g)].map((m) => ({
    group: m[1] as string,
    alert: m[2] as string,
  }));
}

const alerts = readRuleFile(readFileSync(join(DIR, 'celeriac-alerts.yml'), 'utf8'))
  .filter((rule) => rule.kind === 'alert')
  .map((rule) => rule.name);
const scratch = mkdtempSync(join(tmpdir(), 'celeriac-rules-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The test file run against rule files whose alert expressions all read `replacement`. */
async function testWithAlertsReplacedBy(replacement: string) {
  const dir = mkdtempSync(join(scratch, 'mutant-'));
  copyFileSync(join(DIR, TESTS), join(dir, TESTS));
  copyFileSync(join(DIR, 'celeriac-recording.yml'), join(dir, 'celeriac-recording.yml'));
  const original = readFileSync(join(DIR, 'celeriac-alerts.yml'), 'utf8');
  writeFileSync(join(dir, 'celeriac-alerts.yml'), replaceAlertExprs(original, replacement));
  return promtool(['test', 'rules', TESTS], dir);
}

describe('Prometheus rules in infra/prometheus', () => {
  it('pass promtool check rules, and the file reader sees every rule promtool sees', async () => {
    for (const file of RULE_FILES) {
      const { code, output } = await promtool(['check', 'rules', file]);
      expect({ file, code, output }).toMatchObject({ file, code: 0 });
      const counted = Number(/SUCCESS: (\d+) rules found/.exec(output)?.[1]);
      expect(readRuleFile(readFileSync(join(DIR, file), 'utf8')).length).toBe(counted);
    }
  });

  it('load from the example Prometheus configuration (promtool check config)', async () => {
    const { code, output } = await promtool(['check', 'config', 'prometheus.example.yml']);
    expect({ code, output }).toMatchObject({ code: 0 });
  });

  it('pass their unit tests (promtool test rules)', async () => {
    const { code, output } = await promtool(['test', 'rules', TESTS]);
    expect({ code, output }).toMatchObject({ code: 0 });
    expect(output).toContain('SUCCESS');
  });

  it('have a test where each alert fires: with every alert expression never true, each one fails', async () => {
    const { code, output } = await testWithAlertsReplacedBy('vector(1) == 2');
    expect(code).not.toBe(0);
    const failing = new Set(failures(output).map((f) => f.alert));
    expect(alerts.filter((alert) => !failing.has(alert))).toEqual([]);
  });

  it('have a healthy cluster where none fires: with every alert always true, each one fails there', async () => {
    const { code, output } = await testWithAlertsReplacedBy('vector(1)');
    expect(code).not.toBe(0);
    const failingWhenHealthy = new Set(
      failures(output)
        .filter((f) => f.group === HEALTHY)
        .map((f) => f.alert),
    );
    expect(alerts.filter((alert) => !failingWhenHealthy.has(alert))).toEqual([]);
  });
});
