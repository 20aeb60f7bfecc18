/** The value a data label takes once its cap is reached. */
export const OTHER = 'other';

export type Labels = Record<string, string>;

export interface LabelCaps {
  /** Distinct values one data label (worker, task, type) may take per connection. */
  valuesPerLabel: number;
  /** Distinct label sets one metric may hold per connection, `other` sets aside. */
  seriesPerMetric: number;
  /** Longer values (UTF-16 units) are folded. */
  maxValueLength: number;
  /** UTF-8 bytes of admitted values and series keys one connection may hold; past it, new ones fold. */
  bytesPerConnection: number;
}

function getOrAdd<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  const found = map.get(key);
  if (found !== undefined) return found;
  const made = make();
  map.set(key, made);
  return made;
}

/**
 * Bounds the label sets of metrics whose labels come from events (worker hostnames, task names,
 * event types). Values are admitted per connection in first-seen order up to the cap; later ones
 * become `other`, and a metric past its series cap gets all data labels `other`. The strings kept
 * are also counted in bytes per connection (`bytesPerConnection`), so long hostile names fold sooner
 * and the memory held (here and in prom-client, which keeps the same label sets) stays bounded.
 * Pure: the caller applies the result to prom-client and counts the folds.
 */
export function createLabelBudget(caps: LabelCaps) {
  // connection -> label name -> admitted values
  const values = new Map<string, Map<string, Set<string>>>();
  // metric -> connection -> series key -> labels
  const series = new Map<string, Map<string, Map<string, Labels>>>();
  // connection -> UTF-8 bytes of its admitted values and series keys
  const used = new Map<string, number>();

  function charge(connection: string, text: string): boolean {
    const total = (used.get(connection) ?? 0) + Buffer.byteLength(text);
    if (total > caps.bytesPerConnection) return false;
    used.set(connection, total);
    return true;
  }
  const refund = (connection: string, text: string) =>
    used.set(connection, (used.get(connection) ?? 0) - Buffer.byteLength(text));

  function admitValue(connection: string, label: string, value: string): boolean {
    // `other` is where folded values go; it never takes one of the places.
    if (value === OTHER) return true;
    const labels = getOrAdd(values, connection, () => new Map<string, Set<string>>());
    const admitted = getOrAdd(labels, label, () => new Set<string>());
    if (admitted.has(value)) return true;
    if (value.length > caps.maxValueLength || admitted.size >= caps.valuesPerLabel) return false;
    if (!charge(connection, value)) return false;
    admitted.add(value);
    return true;
  }

  function seriesOf(metric: string, connection: string): Map<string, Labels> {
    const byConnection = getOrAdd(series, metric, () => new Map<string, Map<string, Labels>>());
    return getOrAdd(byConnection, connection, () => new Map<string, Labels>());
  }

  return {
    /**
     * The labels one observation of `metric` is recorded under: `connection` is kept (it is ours),
     * each data label is its own value or `other`. `folded` says whether anything was replaced.
     */
    labels(metric: string, connection: string, data: Labels): { labels: Labels; folded: boolean } {
      let folded = false;
      const labels: Labels = { connection };
      for (const [name, value] of Object.entries(data)) {
        const kept = admitValue(connection, name, value);
        folded ||= !kept;
        labels[name] = kept ? value : OTHER;
      }
      const known = seriesOf(metric, connection);
      const key = Object.values(labels).join('\u0000');
      const allOther = Object.keys(data).every((name) => labels[name] === OTHER);
      if (known.has(key) || allOther) return { labels, folded };
      if (known.size >= caps.seriesPerMetric || !charge(connection, key)) {
        for (const name of Object.keys(data)) labels[name] = OTHER;
        return { labels, folded: true };
      }
      known.set(key, labels);
      return { labels, folded };
    },

    /** Every admitted value of one label, per connection (at most connections x valuesPerLabel). */
    admitted(label: string): { connection: string; value: string }[] {
      const found: { connection: string; value: string }[] = [];
      for (const [connection, labels] of values)
        for (const value of labels.get(label) ?? []) found.push({ connection, value });
      return found;
    },

    /** Forgets a worker of a connection; returns the label sets to remove from each metric. */
    forgetWorker(connection: string, hostname: string): { metric: string; labels: Labels }[] {
      if (values.get(connection)?.get('worker')?.delete(hostname)) refund(connection, hostname);
      const removed: { metric: string; labels: Labels }[] = [];
      for (const [metric, byConnection] of series) {
        const keys = byConnection.get(connection);
        if (!keys) continue;
        for (const [key, labels] of keys) {
          if (labels.worker !== hostname) continue;
          keys.delete(key);
          refund(connection, key);
          removed.push({ metric, labels });
        }
      }
      return removed;
    },
  };
}

export type LabelBudget = ReturnType<typeof createLabelBudget>;
