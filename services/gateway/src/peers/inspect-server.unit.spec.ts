import { CONTROL_AUTH_METADATA } from '@celeriac/proto/control-auth';
import type { PeerInspectReply, PeerInspectRequest } from '@celeriac/proto/peers';
import { silentLogger } from '@celeriac/service-runtime/logger';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import type { InspectInfo } from '../control/inspector';
import { UnavailableError } from '../errors';
import { createInspectHandler, type InspectOutcome } from './inspect-server';

const TOKEN = 'a-peer-token-of-32-characters-xx';
const CONNECTION = '6f1c2b9e-3a4d-4e5f-8a7b-1c2d3e4f5a6b';

/** Calls the handler as grpc-js would, with a stand-in for the local rounds. */
function ask(
  request: PeerInspectRequest,
  options: { token?: string; reply?: InspectInfo | Error; maxReplyBytes?: number } = {},
) {
  const outcomes: InspectOutcome[] = [];
  const asked: Array<[string, string | undefined]> = [];
  const handler = createInspectHandler({
    token: TOKEN,
    inspector: {
      refreshLocal: async (connectionId, workername) => {
        asked.push([connectionId, workername]);
        const reply = options.reply ?? new Map();
        if (reply instanceof Error) throw reply;
        return reply;
      },
    },
    maxReplyBytes: options.maxReplyBytes ?? 1 << 20,
    count: (outcome) => outcomes.push(outcome),
    logger: silentLogger,
  });
  const metadata = new grpc.Metadata();
  metadata.set(CONTROL_AUTH_METADATA, `Bearer ${options.token ?? TOKEN}`);
  const call = { metadata, request } as unknown as grpc.ServerUnaryCall<PeerInspectRequest, PeerInspectReply>;
  const answer = new Promise<{ code?: grpc.status; details?: string; reply: PeerInspectReply | null }>(
    (resolve) =>
      handler(call, (error, reply) =>
        resolve({ code: error?.code, details: error?.details, reply: reply ?? null }),
      ),
  );
  return { answer, outcomes, asked };
}

describe('Peers/Inspect served to another replica', () => {
  it("answers with this replica's round for the connection (all workers when workername is empty)", async () => {
    const info: InspectInfo = new Map([['celery@a', { stats: { pid: 7 }, timestamp: 3 }]]);
    const { answer, outcomes, asked } = ask({ connectionId: CONNECTION, workername: '' }, { reply: info });
    const { code, reply } = await answer;
    expect(code).toBeUndefined();
    expect(reply?.workers).toEqual([
      { node: 'celery@a', methods: [{ method: 'stats', replyJson: '{"pid":7}' }], timestamp: 3 },
    ]);
    expect(asked).toEqual([[CONNECTION, undefined]]);
    expect(outcomes).toEqual(['served']);
  });

  it('refuses a caller without the shared token, a malformed request, an oversized reply', async () => {
    const big: InspectInfo = new Map([['celery@a', { conf: { blob: 'x'.repeat(5_000) }, timestamp: 1 }]]);
    const cases = [
      [
        ask({ connectionId: CONNECTION, workername: '' }, { token: 'another-token-of-32-characters-x' }),
        grpc.status.UNAUTHENTICATED,
      ],
      [ask({ connectionId: 'not-a-uuid', workername: '' }), grpc.status.INVALID_ARGUMENT],
      [ask({ connectionId: CONNECTION, workername: 'w'.repeat(513) }), grpc.status.INVALID_ARGUMENT],
      [
        ask({ connectionId: CONNECTION, workername: '' }, { reply: big, maxReplyBytes: 4_096 }),
        grpc.status.RESOURCE_EXHAUSTED,
      ],
      [
        ask({ connectionId: CONNECTION, workername: '' }, { reply: new UnavailableError('no collector') }),
        grpc.status.UNAVAILABLE,
      ],
    ] as const;
    for (const [{ answer, outcomes }, code] of cases) {
      expect((await answer).code).toBe(code);
      expect(outcomes).toEqual(['refused']);
    }
    expect(cases.slice(0, 3).every(([{ asked }]) => asked.length === 0)).toBe(true);
  });
});
