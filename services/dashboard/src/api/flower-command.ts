import { apiUrl, postJson } from './client';

/**
 * The action of a ConfirmButton for one of Flower's control routes (`/api/worker/...`,
 * `/api/task/...`): POSTs, and resolves with the reply's `message`, which the dialog shows.
 */
export function flowerCommand(path: string, query: Record<string, string>): () => Promise<string> {
  return async () => (await postJson<{ message: string }>(apiUrl(path, query))).message;
}
