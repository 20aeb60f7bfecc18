/**
 * Stream positions. One Kafka record can yield several stream events (a queue snapshot names every
 * queue; a heartbeat can also say a worker came back), so an event id is the record's position plus
 * the event's index within the record: `<partition>-<offset>` for index 0, `<partition>-<offset>-<index>`
 * otherwise. Ids are the same on every replica, which is what lets a client resume anywhere.
 */
export interface Position {
  readonly partition: number;
  readonly offset: number;
  readonly index: number;
}

export function formatEventId(position: Position): string {
  const base = `${position.partition}-${position.offset}`;
  return position.index === 0 ? base : `${base}-${position.index}`;
}

const ID_PATTERN = /^(\d{1,6})-(\d{1,15})(?:-(\d{1,6}))?$/;

/** Null for anything that is not an id we made; callers answer 400. */
export function parseEventId(text: string): Position | null {
  const match = ID_PATTERN.exec(text.trim());
  if (!match) return null;
  return { partition: Number(match[1]), offset: Number(match[2]), index: Number(match[3] ?? 0) };
}

/**
 * Per-partition resume points: an event is new to a subscriber when it comes after the subscriber's
 * cursor in its partition. Partitions without a cursor deliver everything the subscriber is offered.
 */
export class Cursor {
  private readonly last = new Map<number, { offset: number; index: number }>();

  static after(position: Position | null): Cursor {
    const cursor = new Cursor();
    if (position) cursor.advance(position);
    return cursor;
  }

  isNew(partition: number, offset: number, index: number): boolean {
    const last = this.last.get(partition);
    if (!last) return true;
    return offset > last.offset || (offset === last.offset && index > last.index);
  }

  advance(position: Position): void {
    this.last.set(position.partition, { offset: position.offset, index: position.index });
  }

  /** The first offset the subscriber still needs from a partition, or null when it has no cursor there. */
  nextOffset(partition: number): number | null {
    const last = this.last.get(partition);
    return last ? last.offset : null;
  }

  partitions(): number[] {
    return [...this.last.keys()];
  }
}
