import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../harness/wait-for';
import { launchChromium, newContext, screenshotBothThemes, signIn } from './browser';
import { type DashboardStack, startDashboardStack } from './dashboard-stack';
import { commandFromPage, getFromPage, socketFromPage } from './page-requests';

/**
 * What a key may see and do in the dashboard: a viewer gets no control and the gateway refuses what it
 * forces; a key for connection B never sees connection A in any page, request or stream.
 */
describe('the dashboard shows only what a key allows', () => {
  let stack: DashboardStack;
  let browser: Browser;
  let adminKey: string;
  let failedA: string;
  let successB: string;
  const base = (connectionId: string) => `${stack.gateway}/c/${connectionId}`;
  const state = async (connectionId: string, taskId: string) => {
    const response = await fetch(`${stack.gateway}/api/v1/tasks/${taskId}?connectionId=${connectionId}`, {
      headers: { authorization: `Bearer ${adminKey}` },
    });
    return response.ok ? ((await response.json()) as { state: string }).state : undefined;
  };
  const freshPage = async (key: string): Promise<Page> => {
    const page = await (await newContext(browser)).newPage();
    await signIn(page, stack.gateway, key);
    return page;
  };

  beforeAll(async () => {
    stack = await startDashboardStack();
    adminKey = await stack.createKey('admin-both', 'admin', [stack.a.connectionId, stack.b.connectionId]);
    browser = await launchChromium();
    failedA = await stack.sendTask(stack.a, 'tasks.error', ['secret-of-alpha']);
    successB = await stack.sendTask(stack.b, 'tasks.add', [1, 1]);
    await waitFor(
      'the seed tasks to finish',
      async () =>
        (await state(stack.a.connectionId, failedA)) === 'FAILURE' &&
        (await state(stack.b.connectionId, successB)) === 'SUCCESS',
      { timeoutMs: 60_000, intervalMs: 300 },
    );
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('gives a viewer no control actions, and the gateway answers 403 when it forces one', async () => {
    const viewer = await stack.createKey('viewer-alpha', 'viewer', [stack.a.connectionId]);
    const page = await freshPage(viewer);
    await page.goto(`${base(stack.a.connectionId)}/tasks/${failedA}`);
    await page.getByText('Your role can only read').waitFor();
    for (const name of ['Re-run', 'Revoke', 'Terminate'])
      expect(await page.getByRole('button', { name }).count()).toBe(0);
    await page.goto(`${base(stack.a.connectionId)}/workers/${stack.a.worker.nodeName}`);
    await page.getByRole('heading', { name: stack.a.worker.nodeName }).waitFor();
    expect(await page.getByRole('region', { name: 'Control' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /Shut down|Grow pool|Restart pool/ }).count()).toBe(0);

    const query = `connectionId=${stack.a.connectionId}`;
    expect(await commandFromPage(page, 'POST', `/api/v1/tasks/${failedA}/rerun?${query}`)).toBe(403);
    expect(await commandFromPage(page, 'POST', `/api/task/revoke/${failedA}?${query}&terminate=true`)).toBe(
      403,
    );
    expect(
      await commandFromPage(page, 'POST', `/api/worker/shutdown/${stack.a.worker.nodeName}?${query}`),
    ).toBe(403);
    const actions = await getFromPage(page, `/api/v1/tasks/${failedA}/actions?${query}`);
    expect(JSON.parse(actions.text)).toEqual({ items: [] });
  });

  it('never shows connection A to a key for connection B, in pages, requests or streams', async () => {
    const keyB = await stack.createKey('ops-bravo', 'operator', [stack.b.connectionId]);
    const page = await freshPage(keyB);
    expect(page.url()).toBe(`${base(stack.b.connectionId)}/overview`);
    expect(await page.getByLabel('Connection').count()).toBe(0);

    await page.goto(`${base(stack.b.connectionId)}/tasks`);
    await page.locator(`tr[data-task-id="${successB}"]`).waitFor();
    expect(await page.locator(`tr[data-task-id="${failedA}"]`).count()).toBe(0);
    await page.getByText('● live').waitFor();
    // Live: a task of A and then one of B are sent while B's table is open; only B's arrives.
    const liveA = await stack.sendTask(stack.a, 'tasks.add', [2, 2]);
    const liveB = await stack.sendTask(stack.b, 'tasks.add', [3, 3]);
    await page.locator(`tr[data-task-id="${liveB}"][data-state="SUCCESS"]`).waitFor({ timeout: 60_000 });
    await waitFor(
      "A's live task to finish",
      async () => (await state(stack.a.connectionId, liveA)) === 'SUCCESS',
    );
    expect(await page.locator(`tr[data-task-id="${liveA}"]`).count()).toBe(0);
    expect(await page.content()).not.toContain('secret-of-alpha');

    await page.goto(`${base(stack.b.connectionId)}/workers`);
    await page.getByRole('link', { name: stack.b.worker.nodeName }).waitFor();
    expect(await page.getByText(stack.a.worker.nodeName).count()).toBe(0);

    for (const path of ['overview', 'tasks', `tasks/${failedA}`, 'workers', 'queues']) {
      await page.goto(`${base(stack.a.connectionId)}/${path}`);
      await page.getByText(`This key has no connection with id ${stack.a.connectionId}`).waitFor();
    }
    await page.goto(`${base(stack.b.connectionId)}/tasks/${failedA}`);
    await page.getByRole('alert').filter({ hasText: 'Unknown task' }).waitFor();

    const a = stack.a.connectionId;
    for (const url of [
      `/api/v1/tasks?connectionId=${a}`,
      `/api/v1/tasks/${failedA}?connectionId=${a}`,
      `/api/v1/tasks/${failedA}?connectionId=${stack.b.connectionId}`,
      `/api/v1/overview?connectionId=${a}&range=1h`,
      `/api/v1/workers?connectionId=${a}`,
      `/api/events/stream?connectionId=${a}`,
    ]) {
      const answer = await getFromPage(page, url);
      expect({ url, status: answer.status }).toEqual({ url, status: 404 });
      expect(answer.text).not.toContain('secret-of-alpha');
    }
    const socket = await socketFromPage(
      page,
      `${stack.gateway.replace('http', 'ws')}/ws/tasks/${failedA}?connectionId=${a}`,
    );
    expect(socket.frames).toBe(0);
    expect(socket.code).not.toBe(1000);
  });

  it('lets a key with two connections switch between them, and signs out', async () => {
    const page = await freshPage(adminKey);
    await page.goto(`${base(stack.a.connectionId)}/tasks`);
    await page.locator(`tr[data-task-id="${failedA}"]`).waitFor();
    await page.getByLabel('Connection').selectOption(stack.b.connectionId);
    await page.locator(`tr[data-task-id="${successB}"]`).waitFor();
    expect(page.url()).toBe(`${base(stack.b.connectionId)}/tasks`);
    expect(await page.locator(`tr[data-task-id="${failedA}"]`).count()).toBe(0);
    await screenshotBothThemes(page, 'connection-switcher');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect((await getFromPage(page, `/api/v1/tasks?connectionId=${stack.b.connectionId}`)).status).toBe(401);
    await page.goto(`${base(stack.b.connectionId)}/tasks`);
    await page.getByLabel('API key').waitFor();
  });
});
