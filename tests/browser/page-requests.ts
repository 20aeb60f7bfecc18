import type { Page } from 'playwright-core';

/**
 * Requests made by the signed-in page itself (its session cookie, and the CSRF token its session gives),
 * as a user forcing a call from the browser console would.
 */
export async function commandFromPage(page: Page, method: 'POST' | 'DELETE', url: string): Promise<number> {
  return page.evaluate(
    async ({ method, url }) => {
      const session = (await (await fetch('/api/v1/session')).json()) as { csrfToken: string };
      const response = await fetch(url, { method, headers: { 'X-CSRF-Token': session.csrfToken } });
      return response.status;
    },
    { method, url },
  );
}

export async function getFromPage(page: Page, url: string): Promise<{ status: number; text: string }> {
  return page.evaluate(async (url) => {
    const response = await fetch(url);
    return { status: response.status, text: await response.text() };
  }, url);
}

/** Opens the per-task WebSocket from the page; resolves with the close code and the frames received. */
export async function socketFromPage(page: Page, url: string): Promise<{ code: number; frames: number }> {
  return page.evaluate(
    (url) =>
      new Promise<{ code: number; frames: number }>((resolve) => {
        let frames = 0;
        const socket = new WebSocket(url);
        socket.onmessage = () => {
          frames += 1;
        };
        socket.onclose = (event) => resolve({ code: event.code, frames });
        // A socket the server keeps open is closed by the page after 5 s, reporting the frames it got.
        setTimeout(() => socket.close(), 5_000);
      }),
    url,
  );
}
