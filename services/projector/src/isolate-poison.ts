import type { RawMessage } from './apply-batch';

/**
 * SQLSTATE class 22 (data exception) or 54 (program limit exceeded, e.g. an index row too large):
 * PostgreSQL refuses a value, and will on every retry.
 */
export function isDataException(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('54'));
}

/**
 * A record whose value PostgreSQL refuses would fail its batch on every redelivery and wedge the
 * partition. Such a batch is bisected until the refused records are isolated; those are skipped
 * (the apply step counts them) and every record around them is applied. Other errors (connection
 * loss, serialization) propagate, so the batch is retried whole.
 */
export async function applyIsolating<T>(
  apply: (messages: RawMessage[], rejected: ReadonlySet<number>) => Promise<T>,
  messages: RawMessage[],
  onRejected: (offset: number, error: unknown) => void,
  rejected: Set<number> = new Set(),
): Promise<T[]> {
  try {
    return [await apply(messages, rejected)];
  } catch (error) {
    if (!isDataException(error)) throw error;
    if (messages.length === 1) {
      const [only] = messages as [RawMessage];
      rejected.add(only.offset);
      onRejected(only.offset, error);
      return [await apply(messages, rejected)];
    }
    const middle = Math.ceil(messages.length / 2);
    const head = await applyIsolating(apply, messages.slice(0, middle), onRejected, rejected);
    const tail = await applyIsolating(apply, messages.slice(middle), onRejected, rejected);
    return [...head, ...tail];
  }
}
