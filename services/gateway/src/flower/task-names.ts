import type { ApiDeps } from '../http/api-deps';

const registeredName = (entry: unknown) => (typeof entry === 'string' ? entry.split(' [')[0] : undefined);

/**
 * Flower checks a task name against its own app's registry; Celeriac has no app, so a name is known
 * when the read model saw it (task events, stored `registered` replies) or, failing that, when a
 * live (coalesced) inspect round finds a worker that registered it. An inspect that cannot run leaves
 * the name unknown: the caller answers 404 rather than guess.
 */
export async function isKnownTaskName(deps: ApiDeps, connectionId: string, name: string): Promise<boolean> {
  if (await deps.tasks.isKnownTaskName(connectionId, name)) return true;
  try {
    const fresh = await deps.inspector.refresh(connectionId);
    return [...fresh.values()].some(
      (info) =>
        Array.isArray(info.registered) && info.registered.some((entry) => registeredName(entry) === name),
    );
  } catch {
    return false;
  }
}
