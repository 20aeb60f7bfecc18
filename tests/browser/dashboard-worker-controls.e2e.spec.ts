import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, newContext, signIn } from './browser';
import { type DashboardStack, startDashboardStack } from './dashboard-stack';

/**
 * An operator drives a real Celery worker from its page: what is typed into the control fields is what
 * the confirm dialog asks about and what reaches the worker (a value the gateway or the worker refuses
 * comes back as that refusal, an accepted one as the worker's own reply).
 */
describe('the worker page controls', () => {
  let stack: DashboardStack;
  let browser: Browser;
  let page: Page;
  let worker: string;

  beforeAll(async () => {
    stack = await startDashboardStack();
    worker = stack.a.worker.nodeName;
    const key = await stack.createKey('ops-controls', 'operator', [stack.a.connectionId]);
    browser = await launchChromium();
    page = await (await newContext(browser)).newPage();
    await signIn(page, stack.gateway, key);
    await page.goto(`${stack.gateway}/c/${stack.a.connectionId}/workers/${encodeURIComponent(worker)}`);
    await page.getByRole('heading', { name: worker }).waitFor();
    await page.getByRole('button', { name: 'Refresh from worker' }).click();
    await page
      .getByRole('region', { name: 'Registered tasks' })
      .getByText('tasks.add')
      .waitFor({ timeout: 30_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  /** Clicks `label`, checks the dialog's question, confirms; resolves with the outcome the dialog shows. */
  const confirm = async (label: string, question: string): Promise<string> => {
    await page.getByRole('button', { name: label, exact: true }).click();
    const dialog = page.locator('dialog[open]');
    const asked = await dialog.getByRole('heading').textContent();
    // A wrong question fails here, with the dialog closed so the next test starts clean.
    if (asked !== question) await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(asked).toBe(question);
    await dialog.getByRole('button', { name: `Confirm: ${label}` }).click();
    const outcome = dialog.getByRole('status');
    await outcome.waitFor({ timeout: 30_000 });
    const text = (await outcome.textContent()) ?? '';
    await dialog.getByRole('button', { name: 'Close' }).click();
    return text;
  };

  it('grows and shrinks the pool by the number typed', async () => {
    const control = page.getByRole('region', { name: 'Control' });
    await control.getByLabel('Processes', { exact: true }).fill('0');
    expect(await confirm('Grow pool', `Grow the pool of ${worker} by 0?`)).toMatch(/'n' must be between 1/);
    await control.getByLabel('Processes', { exact: true }).fill('2');
    expect(await confirm('Grow pool', `Grow the pool of ${worker} by 2?`)).toBe(
      `Growing '${worker}' worker's pool by 2`,
    );
    expect(await confirm('Shrink pool', `Shrink the pool of ${worker} by 2?`)).toMatch(/^Shrinking .* by 2$/);
  });

  it('asks about the autoscale bounds and the queue typed', async () => {
    const control = page.getByRole('region', { name: 'Control' });
    await control.getByLabel('Min', { exact: true }).fill('2');
    await control.getByLabel('Max', { exact: true }).fill('3');
    await page.getByRole('button', { name: 'Autoscale', exact: true }).click();
    // Not confirmed: this worker runs without an autoscaler.
    const autoscale = page.locator('dialog[open]');
    const asked = await autoscale.getByRole('heading').textContent();
    await autoscale.getByRole('button', { name: 'Cancel' }).click();
    expect(asked).toBe(`Autoscale ${worker} between 2 and 3?`);
    await control.getByLabel('Queue', { exact: true }).fill('extra-queue');
    expect(await confirm('Add consumer', `Make ${worker} consume from 'extra-queue'?`)).toMatch(
      /extra-queue/,
    );
  });

  it('without a task chosen, limits the task the list shows', async () => {
    const limits = page.getByRole('region', { name: 'Task limits' });
    const shown = await limits.getByRole('combobox').inputValue();
    expect(shown).toMatch(/^tasks\./);
    expect(await confirm('Set rate limit', `Limit ${shown} on ${worker} to 10/m?`)).toMatch(
      /rate limit set/i,
    );
  });

  it('sets the rate limit and time limits typed for the chosen task', async () => {
    const limits = page.getByRole('region', { name: 'Task limits' });
    await limits.getByRole('combobox').selectOption('tasks.add');
    await limits.getByLabel('Rate', { exact: true }).fill('not-a-rate');
    expect(await confirm('Set rate limit', `Limit tasks.add on ${worker} to not-a-rate?`)).toMatch(
      /^bad arguments for rate_limit/,
    );
    await limits.getByLabel('Rate', { exact: true }).fill('5/m');
    expect(await confirm('Set rate limit', `Limit tasks.add on ${worker} to 5/m?`)).toMatch(
      /rate limit set/i,
    );
    await limits.getByLabel('Soft (s)', { exact: true }).fill('10');
    await limits.getByLabel('Hard (s)', { exact: true }).fill('20');
    expect(await confirm('Set time limits', `Set time limits of tasks.add on ${worker}?`)).toMatch(
      /time limits set/i,
    );
  });
});
