import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { REPO_ROOT } from '../harness/stack-env';

const CHROMIUM = '/usr/bin/chromium';
/**
 * Every page in both themes, written by each run into a git-ignored folder so a test run never
 * changes tracked files; the README's pictures are refreshed on purpose with
 * CELERIAC_SCREENSHOTS_DIR=docs/screenshots (then commit the ones the README shows).
 */
export const SCREENSHOTS = process.env.CELERIAC_SCREENSHOTS_DIR
  ? join(REPO_ROOT, process.env.CELERIAC_SCREENSHOTS_DIR)
  : join(REPO_ROOT, 'tests/browser/screenshots');
/** A laptop screen: what the dashboard must stay readable on. */
const VIEWPORT = { width: 1366, height: 860 };

/**
 * Debian's Chromium through playwright-core (Playwright's own browser downloads do not work here).
 * A missing browser fails the test rather than skipping it: a skip would hide that it never ran.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: run the tests with \`npm test\` (it installs Debian's chromium)`,
    );
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
  });
}

export async function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ viewport: VIEWPORT, colorScheme: 'light', baseURL: undefined });
}

/** Signs in through the page's form, as a user does; resolves on the first page after sign-in. */
export async function signIn(page: Page, gateway: string, key: string): Promise<void> {
  await page.goto(`${gateway}/`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Pages' }).waitFor();
}

/** Writes `<name>-light.png` and `<name>-dark.png` of what the page shows now (the system theme switches). */
export async function screenshotBothThemes(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.evaluate('document.fonts.ready');
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${colorScheme}.png`) });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}
