const TONE: Record<string, string> = {
  SUCCESS: 'ok',
  FAILURE: 'bad',
  REVOKED: 'warn',
  REJECTED: 'bad',
  RETRY: 'warn',
  STARTED: 'info',
  RECEIVED: 'muted',
  PENDING: 'muted',
};

export function StateBadge({ state }: { state: string }) {
  const tone = Object.hasOwn(TONE, state) ? TONE[state] : 'info';
  return <span className={`state state-${tone}`}>{state}</span>;
}
