import type { PeerInspectMethod, PeerInspectReply, PeerInspectWorker } from '@celeriac/proto/peers';
import { INSPECT_METHODS, type InspectInfo, type WorkerInspect } from '../control/inspector';
import { safeInspectReply } from '../control/worker-inspect';

/**
 * A refresh's result between replicas. Worker names are data, so the reply is a list of (node,
 * methods) pairs and never an object keyed by names; method names come from the fixed list of a
 * round, and each reply is checked again on arrival as if a worker had sent it.
 */

/**
 * Upper bound of the protobuf framing per field and per nested message (tag + length varint), so the
 * counted size is never below the encoded one and the receiver's message limit can equal the budget.
 */
const FIELD_OVERHEAD = 6;
const WORKER_OVERHEAD = 4 * FIELD_OVERHEAD + 9;
const METHOD_OVERHEAD = 3 * FIELD_OVERHEAD;

export class InspectReplyTooLargeError extends Error {
  constructor(maxBytes: number) {
    super(`inspect reply larger than ${maxBytes} bytes`);
  }
}

export class InvalidInspectReplyError extends Error {}

/** The reply for a peer; throws InspectReplyTooLargeError past `maxBytes` (counted before it grows further). */
export function encodeInspectInfo(info: InspectInfo, maxBytes: number): PeerInspectReply {
  let bytes = 0;
  const count = (n: number) => {
    bytes += n;
    if (bytes > maxBytes) throw new InspectReplyTooLargeError(maxBytes);
  };
  const workers: PeerInspectWorker[] = [];
  for (const [node, entry] of info) {
    count(WORKER_OVERHEAD + Buffer.byteLength(node));
    const methods: PeerInspectMethod[] = [];
    for (const method of INSPECT_METHODS) {
      if (!Object.hasOwn(entry, method)) continue;
      const replyJson = JSON.stringify(entry[method]) ?? 'null';
      count(METHOD_OVERHEAD + method.length + Buffer.byteLength(replyJson));
      methods.push({ method, replyJson });
    }
    const timestamp = typeof entry.timestamp === 'number' ? entry.timestamp : 0;
    workers.push({ node, methods, timestamp });
  }
  return { workers };
}

/** The InspectInfo a peer sent; throws InvalidInspectReplyError on anything a round cannot produce. */
export function decodeInspectReply(reply: PeerInspectReply): InspectInfo {
  const info: InspectInfo = new Map();
  for (const worker of reply.workers) {
    if (worker.node.length === 0) throw new InvalidInspectReplyError('worker without a node name');
    if (info.has(worker.node)) throw new InvalidInspectReplyError('worker listed twice');
    if (!Number.isFinite(worker.timestamp) || worker.timestamp < 0)
      throw new InvalidInspectReplyError('worker without a valid timestamp');
    const entry: WorkerInspect = {};
    for (const { method, replyJson } of worker.methods) {
      if (!INSPECT_METHODS.includes(method) || Object.hasOwn(entry, method))
        throw new InvalidInspectReplyError('unknown or repeated inspect method');
      let parsed: unknown;
      try {
        parsed = JSON.parse(replyJson);
      } catch {
        throw new InvalidInspectReplyError('unreadable inspect reply');
      }
      entry[method] = safeInspectReply(method, parsed);
    }
    entry.timestamp = worker.timestamp;
    info.set(worker.node, entry);
  }
  return info;
}
