import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Waits poll through locators: page.waitForFunction evaluates its predicate with eval, which the
// dashboard's Content-Security-Policy (script-src 'self') refuses once it has to poll.
import { waitFor } from '../harness/wait-for';
import { launchChromium, newContext, screenshotBothThemes, signIn } from './browser';
import { type DashboardStack, startDashboardStack } from './dashboard-stack';

/**
 * An operator of connection A uses the dashboard in Debian's Chromium against the real services and a
 * real Celery worker: tasks sent by a Celery client show up live, filters narrow the table, the detail
 * page shows tracebacks and live timelines, and revoke / re-run reach the worker.
 */
describe('the dashboard for an operator', () => {
  let stack: DashboardStack;
  let browser: Browser;
  let page: Page;
  let key: string;
  const tasksUrl = () => `${stack.gateway}/c/${stack.a.connectionId}/tasks`;
  const row = (taskId: string) => page.locator(`tr[data-task-id="${taskId}"]`);
  const api = async (path: string) => {
    const response = await fetch(`${stack.gateway}${path}`, { headers: { authorization: `Bearer ${key}` } });
    return (await response.json()) as Record<string, unknown>;
  };
  let slept = '';
  const taskState = async (taskId: string) =>
    (await api(`/api/v1/tasks/${taskId}?connectionId=${stack.a.connectionId}`)).state;

  beforeAll(async () => {
    stack = await startDashboardStack();
    key = await stack.createKey('ops-alpha', 'operator', [stack.a.connectionId]);
    browser = await launchChromium();
    page = await (await newContext(browser)).newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('refuses a wrong key, then signs in with the right one and lands on the overview', async () => {
    await page.goto(`${stack.gateway}/`);
    await screenshotBothThemes(page, 'sign-in');
    await page.getByLabel('API key').fill('not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBeTruthy();
    await signIn(page, stack.gateway, key);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(page.url()).toBe(`${stack.gateway}/c/${stack.a.connectionId}/overview`);
  });

  it('shows a task sent by a Celery client live in the table until SUCCESS, without a reload', async () => {
    await page.goto(tasksUrl());
    await page.getByText('● live').waitFor();
    await page.evaluate('window.sameDocument = true');
    const taskId = await stack.sendTask(stack.a, 'tasks.sleep', [1.5]);
    slept = taskId;
    await row(taskId).waitFor({ timeout: 60_000 });
    await page.locator(`tr[data-task-id="${taskId}"][data-state="SUCCESS"]`).waitFor({ timeout: 60_000 });
    expect(await page.evaluate('window.sameDocument')).toBe(true);
  });

  it('narrows the table by state, by name and by Flower search', async () => {
    const added = await stack.sendTask(stack.a, 'tasks.add', [20, 22]);
    const failed = await stack.sendTask(stack.a, 'tasks.error', ['needle-42 went wrong']);
    await waitFor(
      'both tasks to finish',
      async () => (await taskState(added)) === 'SUCCESS' && (await taskState(failed)) === 'FAILURE',
      { timeoutMs: 60_000, intervalMs: 300 },
    );

    await page.goto(tasksUrl());
    await row(added).waitFor();
    await screenshotBothThemes(page, 'tasks');
    await page.getByLabel('State').selectOption('FAILURE');
    await waitFor(
      'only FAILURE rows',
      async () => (await page.locator('tbody tr:not([data-state="FAILURE"])').count()) === 0,
    );
    await row(failed).waitFor();
    expect(await row(added).count()).toBe(0);
    expect(
      new Set(
        await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-state'))),
      ),
    ).toEqual(new Set(['FAILURE']));
    expect(page.url()).toContain('state=FAILURE');

    await page.goto(`${tasksUrl()}?name=tasks.add`);
    await row(added).waitFor();
    expect(await row(failed).count()).toBe(0);

    await page.goto(tasksUrl());
    await row(added).waitFor();
    await page.getByLabel('Search').fill('args:needle-42');
    await page.getByRole('button', { name: 'Apply' }).click();
    await waitFor('one row', async () => (await page.locator('tbody tr').count()) === 1);
    await row(failed).waitFor();

    // Queue: the tasks went to Celery's default queue (named by task-sent), none to another one.
    await page.goto(tasksUrl());
    await row(added).waitFor();
    await page.getByLabel('Queue').fill('other-queue');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('No task matches these filters.').waitFor();
    expect(page.url()).toContain('queue=other-queue');
    await page.getByLabel('Queue').fill('celery');
    await page.getByRole('button', { name: 'Apply' }).click();
    await row(added).waitFor();
    await row(failed).waitFor();
  });

  it('sorts the whole history on the server by runtime, slowest first', async () => {
    await page.goto(tasksUrl());
    await row(slept).waitFor();
    const sorted = page.waitForResponse((response) => response.url().includes('sort=-runtime'));
    await page.getByRole('button', { name: 'Runtime' }).click();
    expect((await sorted).status()).toBe(200);
    await waitFor(
      'the slowest task first',
      async () => (await page.locator('tbody tr').first().getAttribute('data-task-id')) === slept,
    );
    expect(page.url()).toContain('sort=runtime&dir=desc');
    const header = page.getByRole('columnheader', { name: /Runtime/ });
    expect(await header.getAttribute('aria-sort')).toBe('descending');
  });

  it('shows the traceback of a failed task and re-runs it on the worker', async () => {
    const failed = await stack.sendTask(stack.a, 'tasks.error', ['rerun me']);
    await waitFor('the task to fail', async () => (await taskState(failed)) === 'FAILURE', {
      timeoutMs: 60_000,
    });
    await page.goto(`${tasksUrl()}/${failed}`);
    const traceback = page.locator('pre.traceback');
    await traceback.waitFor();
    expect(await traceback.textContent()).toContain('ValueError: rerun me');
    await page.getByRole('button', { name: 'Copy traceback' }).waitFor();
    await screenshotBothThemes(page, 'task-failed');

    await page.getByRole('button', { name: 'Re-run' }).click();
    await page.getByRole('button', { name: 'Confirm: Re-run' }).click();
    const outcome = await page.getByRole('status').filter({ hasText: 'Sent again as task' }).textContent();
    const newId = /Sent again as task (\S+)/.exec(outcome ?? '')?.[1] ?? '';
    expect(newId).not.toBe('');
    await page.getByRole('button', { name: 'Close' }).click();
    // The worker really runs the new task: it fails the same way, on the same worker.
    const rerun = await waitFor(
      'the re-run to finish on the worker',
      async () => {
        const task = await api(`/api/v1/tasks/${newId}?connectionId=${stack.a.connectionId}`);
        return task.state === 'FAILURE' ? task : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
    // Same name and arguments (the worker prints a list sent as a tuple as a tuple), and it links back.
    expect(rerun).toMatchObject({ name: 'tasks.error', worker: stack.a.worker.nodeName, rerunOf: failed });
    expect(String(rerun.args)).toMatch(/^[([]'rerun me',?[)\]]$/);
    expect(String(rerun.exception)).toContain('rerun me');
    await page.getByRole('link', { name: newId }).click();
    await page.getByText('Re-run of').waitFor();
    await page.getByRole('link', { name: failed }).waitFor();
  });

  it('follows a running task live and lets the operator terminate it', async () => {
    const sleeper = await stack.sendTask(stack.a, 'tasks.sleep', [120]);
    await page.goto(`${tasksUrl()}/${sleeper}`);
    await page.locator('[data-event-type="task-started"]').waitFor({ timeout: 60_000 });
    await page.getByText('● live').waitFor();
    await screenshotBothThemes(page, 'task-running');

    await page.getByRole('button', { name: 'Terminate' }).click();
    await page.getByRole('button', { name: 'Confirm: Terminate' }).click();
    const reply = page.getByRole('dialog').getByRole('status');
    await reply.waitFor();
    expect(await reply.textContent()).toBe(`Revoked '${sleeper}'`);
    await page.getByRole('button', { name: 'Close' }).click();
    // The live timeline receives the worker's revocation without a reload.
    await page.locator('[data-event-type="task-revoked"]').waitFor({ timeout: 60_000 });
    expect(await taskState(sleeper)).toBe('REVOKED');
    await page.getByText(/terminate by ops-alpha/).waitFor();
  });

  it('shows workers, a worker with its pool controls, queues and the overview', async () => {
    await page.goto(`${stack.gateway}/c/${stack.a.connectionId}/workers`);
    await page.getByRole('link', { name: stack.a.worker.nodeName }).click();
    await page.getByRole('heading', { name: stack.a.worker.nodeName }).waitFor();
    await page.getByRole('button', { name: 'Refresh from worker' }).click();
    await page
      .getByRole('region', { name: 'Registered tasks' })
      .getByText('tasks.add')
      .waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Refresh from worker' }).waitFor();
    await page.getByRole('button', { name: 'Grow pool' }).waitFor();
    await screenshotBothThemes(page, 'worker');

    await page.goto(`${stack.gateway}/c/${stack.a.connectionId}/workers`);
    await page.getByRole('link', { name: stack.a.worker.nodeName }).waitFor();
    await screenshotBothThemes(page, 'workers');

    await page.goto(`${stack.gateway}/c/${stack.a.connectionId}/queues`);
    await page.getByRole('heading', { name: 'Queues' }).waitFor();
    await screenshotBothThemes(page, 'queues');

    await page.goto(`${stack.gateway}/c/${stack.a.connectionId}/overview?range=15m`);
    await page.getByText('workers online').waitFor();
    await waitFor(
      'a worker counted online',
      async () => Number(await page.locator('.stat.ok .stat-value').first().textContent()) >= 1,
    );
    await screenshotBothThemes(page, 'overview');
  });
});
