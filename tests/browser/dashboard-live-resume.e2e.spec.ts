import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStackEnv } from '../harness/stack-env';
import { waitFor } from '../harness/wait-for';
import { launchChromium, newContext, signIn } from './browser';
import { type DashboardStack, startDashboardStack } from './dashboard-stack';
import { startTcpGate, type TcpGate } from './tcp-gate';

/**
 * The live task table when the gateway ends its stream and then refuses it: the gateway is restarted
 * (SIGTERM: it tells the page to reconnect and ends the stream) while Kafka is unreachable from it, so
 * the new process answers the page's stream with 503 until it can read Kafka. A browser's EventSource
 * never retries an error status by itself; the page must open a new one, and show the tasks a Celery
 * client sends afterwards, without a reload.
 */
describe('the dashboard live view across a gateway restart', () => {
  let stack: DashboardStack;
  let browser: Browser;
  let page: Page;
  /** The gateway reaches Kafka through this gate; every other process reaches Kafka directly. */
  let kafkaGate: TcpGate;
  /** What the page's stream requests got: a status, or `failed` (nothing listening). */
  const streamAnswers: string[] = [];

  beforeAll(async () => {
    kafkaGate = await startTcpGate(readStackEnv().kafkaBrokers[0] as string);
    stack = await startDashboardStack({ CELERIAC_KAFKA_BROKERS: kafkaGate.address });
    browser = await launchChromium();
    page = await (await newContext(browser)).newPage();
    page.on('response', (response) => {
      if (response.url().includes('/api/events/stream')) streamAnswers.push(String(response.status()));
    });
    page.on('requestfailed', (request) => {
      if (request.url().includes('/api/events/stream')) streamAnswers.push('failed');
    });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await kafkaGate?.stop();
  });

  it('opens a new stream once the restarted gateway serves it, and shows new tasks without a reload', async () => {
    const key = await stack.createKey('live-alpha', 'viewer', [stack.a.connectionId]);
    await signIn(page, stack.gateway, key);
    await page.goto(`${stack.gateway}/c/${stack.a.connectionId}/tasks`);
    await page.getByText('● live').waitFor();
    await page.evaluate('window.sameDocument = true');
    const indicator = page.locator('.page-head [role="status"]');

    const before = streamAnswers.length;
    await stack.restartGateway({
      whileDown: async () => {
        kafkaGate.close();
        // The stopping gateway sent the page a reconnect notice and ended the stream.
        await waitFor('the page to leave live', async () => (await indicator.textContent()) !== '● live');
      },
      waitUntil: 'listening',
    });
    // Refused by the stopping gateway (it takes no new stream) or by the new one (no Kafka yet): the
    // browser has given up on that EventSource for good.
    await waitFor('a gateway to refuse the page a stream', () => streamAnswers.slice(before).includes('503'));
    expect(await indicator.textContent()).not.toBe('● live');

    kafkaGate.open();
    await page.getByText('● live').waitFor({ timeout: 90_000 });
    const taskId = await stack.sendTask(stack.a, 'tasks.add', [40, 2]);
    await page.locator(`tr[data-task-id="${taskId}"][data-state="SUCCESS"]`).waitFor({ timeout: 60_000 });
    expect(await page.evaluate('window.sameDocument')).toBe(true);
  });
});
