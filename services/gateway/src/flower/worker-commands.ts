import type { ControlGateway } from '../control/control-gateway';
import { WorkerRefusedError } from '../errors';

/**
 * Sends a control command to one worker and returns its `ok` text. An `error` reply, or no reply
 * within the window, is a WorkerRefusedError (403, as Flower) whose message starts with `failure`.
 */
export async function commandWorker(
  control: ControlGateway,
  connectionId: string,
  worker: string,
  command: string,
  args: Record<string, unknown>,
  failure: string,
): Promise<string> {
  const replies = await control.broadcast(connectionId, command, args, {
    destination: [worker],
    reply: true,
  });
  const reply = replies.find((candidate) => candidate.node === worker)?.reply as
    | Record<string, unknown>
    | undefined;
  if (reply && typeof reply === 'object' && 'ok' in reply) return String(reply.ok);
  const reason =
    reply && typeof reply === 'object' && 'error' in reply ? String(reply.error) : 'Unknown reason';
  throw new WorkerRefusedError(`${failure}: ${reason}`);
}
