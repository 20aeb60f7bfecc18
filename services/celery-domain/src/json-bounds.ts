/**
 * Shape limits for JSON that arrived from a broker. JSON.parse builds any depth without recursion,
 * but every later recursive walk (JSON.stringify, canonical JSON, protobuf maps) would overflow the
 * stack on a deeply nested value and throw a RangeError far from the code that could handle it. This
 * check walks the value once, iteratively, and stops at the first limit it passes, so its cost is
 * bounded by `maxNodes` whatever the input.
 */
export interface JsonBounds {
  /** Deepest nesting of arrays/objects accepted (a scalar at the top is depth 0). */
  maxDepth: number;
  /** Most values (scalars, arrays, objects and object keys) in the whole document. */
  maxNodes: number;
}

/** Bounds for one Celery event or one worker's pidbox reply: far above what Celery sends. */
export const BROKER_JSON_BOUNDS: JsonBounds = { maxDepth: 32, maxNodes: 200_000 };

/** Undefined when `value` is within the bounds, else the limit it crossed, for a dead-letter reason. */
export function exceedsJsonBounds(value: unknown, bounds: JsonBounds): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const stack: unknown[] = [value];
  const depths: number[] = [1];
  let nodes = 0;
  while (stack.length > 0) {
    const current = stack.pop();
    const depth = depths.pop() as number;
    if (depth > bounds.maxDepth) return `nesting deeper than ${bounds.maxDepth}`;
    const children = Array.isArray(current) ? current : Object.values(current as object);
    nodes += children.length + 1;
    if (nodes > bounds.maxNodes) return `more than ${bounds.maxNodes} values`;
    for (let i = 0; i < children.length; i++) {
      const child = children[i];
      if (child !== null && typeof child === 'object') {
        stack.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return undefined;
}
