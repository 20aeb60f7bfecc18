import type {
  BroadcastRequest,
  InspectRequest,
  NodeReplies,
  QueueStatsReply,
  QueueStatsRequest,
  SendTaskReply,
  SendTaskRequest,
} from '@celeriac/proto/control';
import type { BrokerSession } from './broker-session';
import type { CollectorStore } from './collector-store';
import type { ConnectionRegistry } from './connection-registry';
import { validateBroadcast, validateInspect } from './control-args';
import { InvalidArgumentError, NotOwnerError, UnknownConnectionError } from './errors';
import type { NodeReplyValue } from './pidbox';
import { scrubCredentials } from './scrub-inspect';
import { measureQueues, queueNamesOf } from './snapshot-sampler';
import { buildTaskMessage } from './task-message';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Replies as the gateway gets them, credentials scrubbed (workers report broker URLs in `stats`). */
function toNodeReplies(replies: NodeReplyValue[]): NodeReplies {
  return {
    replies: replies.map(({ node, value }) => ({
      node,
      replyJson: JSON.stringify(scrubCredentials(value ?? null)) ?? 'null',
    })),
  };
}

/**
 * The Control operations, transport-free: arguments are validated before any broker is touched, and
 * a connection held elsewhere fails with NotOwnerError naming the owner. grpc-server.ts maps errors.
 */
export function createControlService(options: {
  registry: Pick<ConnectionRegistry, 'get'>;
  store: Pick<CollectorStore, 'getConnection' | 'leaseOwner'>;
  origin: string;
  clock: () => number;
}) {
  async function sessionFor(connectionId: string): Promise<BrokerSession> {
    if (!UUID.test(connectionId)) throw new InvalidArgumentError('connection_id must be a UUID');
    const runner = options.registry.get(connectionId);
    if (runner) return runner.session();
    const row = await options.store.getConnection(connectionId);
    if (!row?.enabled) throw new UnknownConnectionError(connectionId);
    const owner = await options.store.leaseOwner(connectionId);
    throw new NotOwnerError(connectionId, owner && !owner.expired ? owner.ownerGrpcAddress : '');
  }

  return {
    async broadcast(request: BroadcastRequest): Promise<NodeReplies> {
      const call = validateBroadcast(request);
      const session = await sessionFor(request.connectionId);
      return toNodeReplies(await session.pidbox.call({ ...call, reply: request.reply }));
    },

    async inspect(request: InspectRequest): Promise<NodeReplies> {
      const call = validateInspect(request);
      const session = await sessionFor(request.connectionId);
      return toNodeReplies(await session.pidbox.call({ ...call, reply: true }));
    },

    async sendTask(request: SendTaskRequest): Promise<SendTaskReply> {
      const message = buildTaskMessage(request, { now: new Date(options.clock()), origin: options.origin });
      const session = await sessionFor(request.connectionId);
      await session.publishTask(message);
      return { taskId: message.taskId };
    },

    async queueStats(request: QueueStatsRequest): Promise<QueueStatsReply> {
      if (
        request.queues.length > 500 ||
        request.queues.some((name) => name.length === 0 || name.length > 255)
      ) {
        throw new InvalidArgumentError('queues must be at most 500 names of 1-255 characters');
      }
      const session = await sessionFor(request.connectionId);
      const names =
        request.queues.length > 0
          ? request.queues
          : queueNamesOf(
              await session.pidbox.call({
                method: 'active_queues',
                arguments: {},
                destination: [],
                reply: true,
                timeoutMs: 1000,
              }),
            );
      return { queues: await measureQueues(session, names) };
    },
  };
}

export type ControlService = ReturnType<typeof createControlService>;
