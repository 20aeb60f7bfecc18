/**
 * Removes credentials from worker replies before they leave the collector (inspect snapshots in
 * Kafka, Control replies to gateways). Workers report their broker connection in `stats`
 * (`broker.userid`, `broker.password`, `broker.alternates` holding full URLs) and may echo URLs with
 * passwords anywhere (`conf`, custom commands), while viewers of a connection may read replies.
 *
 * Rules: a value under a key that names a secret is replaced whole; in every string, the userinfo of
 * anything shaped `scheme://userinfo@host` is replaced (`amqp://u:p@h` -> `amqp://********@h`,
 * `redis://:p@h` too). The scan is a single left-to-right pass with indexOf, no regex.
 */
export const REDACTED = '********';

const SECRET_KEY_PARTS = ['password', 'passwd', 'secret', 'token', 'apikey', 'api_key', 'credential'];
const SECRET_KEYS = new Set(['pwd', 'userid', 'user_id', 'username', 'private_key', 'access_key']);
/**
 * Characters that end a URL in the text around it. `/`, `?` and `#` do not: kombu accepts a password
 * holding them unencoded, so everything up to the last `@` of the URL counts as userinfo (a path with
 * an `@` is over-redacted, which is the safe side).
 */
const URL_END = new Set([
  ' ',
  '\t',
  '\n',
  '\r',
  ';',
  ',',
  '"',
  "'",
  '<',
  '>',
  '|',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
]);

export function isSecretKey(key: string): boolean {
  if (key.length > 100) return false;
  const lower = key.toLowerCase();
  return SECRET_KEYS.has(lower) || SECRET_KEY_PARTS.some((part) => lower.includes(part));
}

/** Replaces the userinfo of every `scheme://userinfo@host...` in `text`; linear in its length. */
export function scrubUrlCredentials(text: string): string {
  let from = 0;
  let out = '';
  for (;;) {
    const marker = text.indexOf('://', from);
    if (marker < 0) break;
    const start = marker + 3;
    let end = start;
    let at = -1;
    while (end < text.length && !URL_END.has(text[end] as string)) {
      if (text[end] === '@') at = end;
      end++;
    }
    if (at >= 0) out += `${text.slice(from, start)}${REDACTED}${text.slice(at, end)}`;
    else out += text.slice(from, end);
    from = end;
  }
  return from === 0 ? text : out + text.slice(from);
}

/**
 * A copy of a JSON value with credentials removed. Objects come back with a null prototype, so a
 * worker-chosen key such as `__proto__` stays a plain field. Values reach this only after the
 * pidbox client checked their depth (json-bounds.ts), so the recursion is shallow.
 */
export function scrubCredentials(value: unknown): unknown {
  if (typeof value === 'string') return scrubUrlCredentials(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(scrubCredentials);
  const copy: Record<string, unknown> = Object.create(null);
  for (const [key, item] of Object.entries(value)) {
    copy[key] = isSecretKey(key) && item !== null && item !== '' ? REDACTED : scrubCredentials(item);
  }
  return copy;
}
