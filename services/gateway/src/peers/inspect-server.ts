import { controlCallAuthorized } from '@celeriac/proto/control-auth';
import type { PeerInspectReply, PeerInspectRequest } from '@celeriac/proto/peers';
import type { Logger } from '@celeriac/service-runtime/logger';
import * as grpc from '@grpc/grpc-js';
import type { Inspector } from '../control/inspector';
import { GatewayError } from '../errors';
import { encodeInspectInfo, InspectReplyTooLargeError } from './inspect-codec';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The longest worker name the REST API accepts (flower/workers-routes.ts). */
const MAX_WORKER_NAME = 512;

export type InspectOutcome = 'forwarded' | 'fallback' | 'served' | 'refused';

/**
 * Peers/Inspect, served by the connection's designated replica: the refresh joins this replica's own
 * single flight (`refreshLocal`, which never forwards again, so two replicas that disagree on the
 * designated one for a moment cannot bounce a call between them).
 *
 * Trust: the call names only a connection id. Replicas share the Control token, which already lets
 * its holder run any command on any tenant through the collectors, so a caller holding it is trusted
 * to have authorized that connection for its own client; a caller without it gets UNAUTHENTICATED.
 */
export function createInspectHandler(options: {
  token: string | undefined;
  inspector: Pick<Inspector, 'refreshLocal'>;
  maxReplyBytes: number;
  count: (outcome: InspectOutcome) => void;
  logger: Logger;
}): grpc.handleUnaryCall<PeerInspectRequest, PeerInspectReply> {
  return (call, callback) => {
    const refuse = (code: grpc.status, details: string) => {
      options.count('refused');
      callback({ code, details }, null);
    };
    if (options.token !== undefined && !controlCallAuthorized(options.token, call.metadata))
      return refuse(grpc.status.UNAUTHENTICATED, 'missing or wrong peer token');
    const { connectionId, workername } = call.request;
    if (connectionId.length > 36 || !UUID.test(connectionId))
      return refuse(grpc.status.INVALID_ARGUMENT, 'connection_id must be a UUID');
    if (workername.length > MAX_WORKER_NAME)
      return refuse(grpc.status.INVALID_ARGUMENT, `workername longer than ${MAX_WORKER_NAME} characters`);
    // refreshLocal throws at once when too many refreshes are in flight: a refusal like the others.
    Promise.resolve()
      .then(() => options.inspector.refreshLocal(connectionId, workername || undefined))
      .then((info) => encodeInspectInfo(info, options.maxReplyBytes))
      .then(
        (reply) => {
          options.count('served');
          callback(null, reply);
        },
        (error: unknown) => {
          if (error instanceof InspectReplyTooLargeError)
            return refuse(grpc.status.RESOURCE_EXHAUSTED, error.message);
          // The caller then runs the refresh itself and reports its own error to its client.
          if (!(error instanceof GatewayError))
            options.logger.warn({ err: error, connectionId }, 'inspect for a peer failed');
          refuse(grpc.status.UNAVAILABLE, error instanceof GatewayError ? error.message : 'inspect failed');
        },
      );
  };
}
