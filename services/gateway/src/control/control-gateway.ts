import {
  ControlClient,
  type NodeReplies,
  type SendTaskReply,
  type SendTaskRequest,
} from '@celeriac/proto/control';
import { controlTokenInterceptor } from '@celeriac/proto/control-auth';
import type { Logger } from '@celeriac/service-runtime/logger';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { UnavailableError, UpstreamError } from '../errors';
import { isServiceError, mapGrpcError, ownerFromTrailer } from './grpc-errors';

export interface NodeReplyValue {
  node: string;
  reply: unknown;
}

/** Commands and inspects for one connection, routed to the collector that holds its lease. */
export interface ControlGateway {
  broadcast(
    connectionId: string,
    command: string,
    args: Record<string, unknown>,
    options: { destination?: string[]; reply: boolean; timeoutSeconds?: number },
  ): Promise<NodeReplyValue[]>;
  inspect(
    connectionId: string,
    method: string,
    args: Record<string, unknown>,
    options: { destination?: string[]; timeoutSeconds?: number },
  ): Promise<NodeReplyValue[]>;
  sendTask(request: SendTaskRequest): Promise<string>;
  close(): void;
}

const MAX_CLIENTS = 64;
/** Added to the reply window so the gRPC deadline never cuts a collection the collector still runs. */
const DEADLINE_SLACK_MS = 5_000;

function parseReplies(replies: { node: string; replyJson: string }[]): NodeReplyValue[] {
  return replies.map(({ node, replyJson }) => {
    try {
      return { node, reply: JSON.parse(replyJson) as unknown };
    } catch {
      return { node, reply: { error: 'unreadable reply from worker' } };
    }
  });
}

export function createControlGateway(options: {
  ownerAddress: (connectionId: string) => Promise<string | undefined>;
  logger: Logger;
  /** Control token (CELERIAC_CONTROL_TOKEN) sent on every call; undefined when auth is disabled. */
  token: string | undefined;
}): ControlGateway {
  const clientOptions = options.token ? { interceptors: [controlTokenInterceptor(options.token)] } : {};
  const clients = new Map<string, ControlClient>();
  const clientFor = (address: string): ControlClient => {
    let client = clients.get(address);
    if (!client) {
      if (clients.size >= MAX_CLIENTS) {
        const [oldest, stale] = clients.entries().next().value as [string, ControlClient];
        clients.delete(oldest);
        stale.close();
      }
      client = new ControlClient(address, credentials.createInsecure(), clientOptions);
      clients.set(address, client);
    }
    return client;
  };

  type Call<T> = (
    client: ControlClient,
    deadline: Date,
    done: (error: ServiceError | null, value: T) => void,
  ) => void;
  const invoke = <T>(address: string, timeoutSeconds: number, call: Call<T>) =>
    new Promise<T>((resolve, reject) => {
      const deadline = new Date(Date.now() + timeoutSeconds * 1000 + DEADLINE_SLACK_MS);
      call(clientFor(address), deadline, (error, value) => (error ? reject(error) : resolve(value)));
    });

  /** FAILED_PRECONDITION means the lease moved: retry once at the owner the collector names. */
  const routed = async <T>(connectionId: string, timeoutSeconds: number, call: Call<T>): Promise<T> => {
    const address = await options.ownerAddress(connectionId);
    if (!address) throw new UnavailableError(`No collector holds connection ${connectionId} right now`);
    try {
      return await invoke(address, timeoutSeconds, call);
    } catch (error) {
      if (!isServiceError(error)) throw new UpstreamError('collector call failed', { cause: error });
      const owner = error.code === 9 ? ownerFromTrailer(error) : undefined;
      if (!owner || owner === address) throw mapGrpcError(error, connectionId);
      options.logger.debug(
        { connectionId, from: address, to: owner },
        'control call redirected to lease owner',
      );
      try {
        return await invoke(owner, timeoutSeconds, call);
      } catch (retryError) {
        if (!isServiceError(retryError))
          throw new UpstreamError('collector call failed', { cause: retryError });
        throw mapGrpcError(retryError, connectionId);
      }
    }
  };

  return {
    async broadcast(connectionId, command, args, { destination = [], reply, timeoutSeconds = 1 }) {
      const request = {
        connectionId,
        command,
        argumentsJson: JSON.stringify(args),
        destination,
        reply,
        timeoutSeconds,
      };
      const replies = await routed<NodeReplies>(connectionId, timeoutSeconds, (client, deadline, done) =>
        client.broadcast(request, new Metadata(), { deadline }, done),
      );
      return parseReplies(replies.replies);
    },
    async inspect(connectionId, method, args, { destination = [], timeoutSeconds = 1 }) {
      const request = {
        connectionId,
        method,
        argumentsJson: JSON.stringify(args),
        destination,
        timeoutSeconds,
      };
      const replies = await routed<NodeReplies>(connectionId, timeoutSeconds, (client, deadline, done) =>
        client.inspect(request, new Metadata(), { deadline }, done),
      );
      return parseReplies(replies.replies);
    },
    async sendTask(request) {
      const reply = await routed<SendTaskReply>(request.connectionId, 5, (client, deadline, done) =>
        client.sendTask(request, new Metadata(), { deadline }, done),
      );
      return reply.taskId;
    },
    close() {
      for (const client of clients.values()) client.close();
      clients.clear();
    },
  };
}
