import type { SendTaskRequest } from '@celeriac/proto/control';
import { ConflictError } from '../errors';
import { NotALiteralError, parsePythonLiteral } from './python-literal';

export interface RerunSource {
  name: string | null;
  args: string | null;
  kwargs: string | null;
  queue: string | null;
  exchange: string | null;
  routing_key: string | null;
}

function literal(taskId: string, field: 'args' | 'kwargs', text: string | null): unknown {
  if (text === null || text === '') return field === 'args' ? [] : {};
  try {
    return parsePythonLiteral(text);
  } catch (error) {
    const why = error instanceof NotALiteralError ? error.message : 'unreadable';
    throw new ConflictError(
      `Task '${taskId}' cannot be re-run: its ${field} were reported as text that is not a plain Python literal (${why})`,
    );
  }
}

/**
 * The send-task request that runs a finished task again: its name, its args and kwargs read back from
 * the worker's repr text, and its routing (queue, exchange, routing key) when the events carried it.
 */
export function rerunMessage(taskId: string, source: RerunSource): Omit<SendTaskRequest, 'connectionId'> {
  if (!source.name) throw new ConflictError(`Task '${taskId}' cannot be re-run: its name was never reported`);
  const args = literal(taskId, 'args', source.args);
  const kwargs = literal(taskId, 'kwargs', source.kwargs);
  if (!Array.isArray(args))
    throw new ConflictError(`Task '${taskId}' cannot be re-run: its args are not a tuple`);
  if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs))
    throw new ConflictError(`Task '${taskId}' cannot be re-run: its kwargs are not a dict`);
  return {
    taskName: source.name,
    argsJson: JSON.stringify(args),
    kwargsJson: JSON.stringify(kwargs),
    queue: source.queue || undefined,
    // An empty exchange is the default one, which the collector uses when none is given.
    exchange: source.exchange || undefined,
    routingKey: source.routing_key || undefined,
  };
}
