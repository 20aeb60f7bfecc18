/**
 * Removes secrets from data that workers report about themselves (inspect `stats`, `conf`, worker
 * info) before anyone but the worker reads it: the password part of any URL (`amqp://user:pass@host`
 * becomes `amqp://user:***@host`, `redis://:pass@host` becomes `redis://:***@host`) and the value of
 * any field whose name says it is a secret. Scans are linear in the input and the walk stops at a
 * fixed depth, so no reply can make it slow or overflow the stack.
 */

export const MASK = '***';
/** Deeper values are replaced: real inspect replies nest a handful of levels. */
export const MAX_SCRUB_DEPTH = 32;

/** Field names whose values are secrets whatever they look like (Celery masks similar names in `conf`). */
const SECRET_NAME = /passw|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|signature/i;

/** A URL ends at whitespace or a quote; `;` and `,` may sit inside a password, so they do not end it. */
const isUrlEnd = (char: string) =>
  char === ' ' ||
  char === '\t' ||
  char === '\n' ||
  char === '\r' ||
  char === '"' ||
  char === "'" ||
  char === '<' ||
  char === '>';

/** The userinfo of a URL ends at the authority; an earlier `/`, `?` or `#` means a path came first. */
function authorityBreak(text: string, from: number, to: number): number {
  for (let index = from; index < to; index += 1) {
    const char = text[index];
    if (char === '/' || char === '?' || char === '#') return index;
  }
  return to;
}

/** Masks the userinfo of the first URL in `token` whose authority reaches the token's last `@`. */
function scrubToken(token: string): string {
  const at = token.lastIndexOf('@');
  if (at === -1) return token;
  let from = 0;
  // Each candidate's scans stop at the next `://` at the latest, so the loop is linear in the token.
  for (let sep = token.indexOf('://', from); sep !== -1 && sep < at; sep = token.indexOf('://', from)) {
    const start = sep + 3;
    const pathAt = authorityBreak(token, start, at);
    const colon = token.indexOf(':', start);
    // Credentials when no path precedes the `@`, or a `user:` comes first (a password may hold a `/`).
    if (pathAt === at || (colon !== -1 && colon < pathAt)) {
      const user = colon !== -1 && colon < at ? token.slice(start, colon) : undefined;
      const masked = user === undefined || user.includes('@') ? MASK : `${user}:${MASK}`;
      return `${token.slice(0, start)}${masked}${token.slice(at)}`;
    }
    from = pathAt;
  }
  return token;
}

/** The text with the credentials of every URL in it masked. */
export function scrubUrlCredentials(text: string): string {
  if (!text.includes('://') || !text.includes('@')) return text;
  let out = '';
  let tokenStart = 0;
  for (let index = 0; index <= text.length; index += 1) {
    if (index === text.length || isUrlEnd(text[index] as string)) {
      out += scrubToken(text.slice(tokenStart, index));
      if (index < text.length) out += text[index];
      tokenStart = index + 1;
    }
  }
  return out;
}

/**
 * A copy of a JSON value with credentials masked. Objects come back as plain objects built by
 * Object.fromEntries, so a field named `__proto__` stays an ordinary own field.
 */
export function scrubCredentials(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubUrlCredentials(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_SCRUB_DEPTH) return '[nested too deep]';
  if (Array.isArray(value)) return value.map((item) => scrubCredentials(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([name, item]) => [
      scrubUrlCredentials(name),
      SECRET_NAME.test(name) && item !== null && item !== '' ? MASK : scrubCredentials(item, depth + 1),
    ]),
  );
}
