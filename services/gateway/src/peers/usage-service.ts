import { controlCallAuthorized } from '@celeriac/proto/control-auth';
import type { UsageAck, UsageReport } from '@celeriac/proto/peers';
import * as grpc from '@grpc/grpc-js';
import type { RateLimiter } from '../auth/rate-limit';
import type { UsageMetrics } from './usage-metrics';

/** Callers one report may carry (the most CELERIAC_GATEWAY_PEER_USAGE_CALLERS allows). */
export const MAX_REPORT_CALLERS = 1_000;
/** A key id is a UUID and an address caller is `address:` plus an IPv6 address: far below this. */
const MAX_CALLER_LENGTH = 128;

/** What is wrong with a peer's report, or null. Checked whole before anything is debited. */
export function usageReportProblem(report: UsageReport): string | null {
  if (report.callers.length > MAX_REPORT_CALLERS) return `at most ${MAX_REPORT_CALLERS} callers per report`;
  for (const entry of report.callers) {
    if (entry.caller.length === 0 || entry.caller.length > MAX_CALLER_LENGTH)
      return `caller must be 1 to ${MAX_CALLER_LENGTH} characters`;
    if (!Number.isInteger(entry.tokens) || entry.tokens < 1) return 'tokens must be a positive integer';
  }
  return null;
}

/**
 * Server side of `Peers/Usage`: debits another replica's admitted requests from this replica's
 * buckets. Authenticated with the Control token like the relays; the server's 64 KiB message limit
 * bounds what one call can carry before it is even decoded.
 */
export function usageHandler(deps: {
  token: string | undefined;
  limiter: Pick<RateLimiter, 'debit'>;
  metrics: UsageMetrics;
}): grpc.handleUnaryCall<UsageReport, UsageAck> {
  return (call, callback) => {
    const refuse = (code: grpc.status, details: string) => {
      deps.metrics.reports.inc({ outcome: 'refused' });
      callback({ code, details });
    };
    if (deps.token !== undefined && !controlCallAuthorized(deps.token, call.metadata))
      return refuse(grpc.status.UNAUTHENTICATED, 'missing or wrong peer token');
    const problem = usageReportProblem(call.request);
    if (problem) return refuse(grpc.status.INVALID_ARGUMENT, problem);
    for (const { caller, tokens } of call.request.callers) deps.limiter.debit(caller, tokens);
    deps.metrics.reports.inc({ outcome: 'received' });
    callback(null, {});
  };
}
