import type { WebSocket } from 'ws';

/** RFC 6455 5.5: a control frame carries at most 125 bytes, 2 of them the close code. */
export const MAX_CLOSE_REASON_BYTES = 123;

/**
 * The longest prefix of `text` that fits `maxBytes` of UTF-8, cut between code points (never inside
 * a multibyte sequence, never leaving half a surrogate pair). Reasons often quote client input (a
 * connection id, a task id), so this is where their size is bounded. Linear in maxBytes.
 */
export function closeReason(text: string, maxBytes = MAX_CLOSE_REASON_BYTES): string {
  // Every UTF-16 unit costs at least one byte, so nothing past maxBytes units can fit.
  const head = text.slice(0, maxBytes);
  let bytes = 0;
  let out = '';
  for (const char of head) {
    const code = char.codePointAt(0) as number;
    // A lone surrogate would be sent as U+FFFD (3 bytes); drop it rather than mangle it.
    if (code >= 0xd800 && code <= 0xdfff) continue;
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) break;
    bytes += size;
    out += char;
  }
  return out;
}

/**
 * Every WebSocket close of the gateway goes through here: `ws.close` throws on a bad code or an
 * oversized reason, and a throw on this path would escape to the process. If closing fails anyway,
 * the socket is dropped instead.
 */
export function closeWebSocket(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState !== ws.OPEN) return;
  try {
    ws.close(code, closeReason(reason));
  } catch {
    ws.terminate();
  }
}
