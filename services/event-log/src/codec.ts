import { CeleryEvent, DeadLetter } from '@celeriac/proto/events';
import { BinaryWriter } from '@celeriac/proto/wire';

// One writer for every encode: finish() copies out the bytes and rewinds it, so its buffer is
// reused instead of grown from scratch per event (encoding is synchronous, never interleaved).
const writer = new BinaryWriter();

/** Kafka record value of `celeriac.events`: the protobuf encoding of CeleryEvent. */
export function encodeEvent(event: CeleryEvent): Buffer {
  const bytes = CeleryEvent.encode(event, writer).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Latest epoch second readers can turn into a Date/ISO text and PostgreSQL into a timestamptz. */
const MAX_EPOCH_SECONDS = 253_402_300_799;

/**
 * Throws on bytes that are not a CeleryEvent, and on an envelope readers could not use (a time that
 * `new Date(...).toISOString()` or PostgreSQL would refuse). Every reader already skips a record
 * this throws on, so one bad record, whoever wrote it, is skipped instead of breaking a stream.
 */
export function decodeEvent(value: Uint8Array): CeleryEvent {
  const event = CeleryEvent.decode(value);
  if (!(event.timestamp >= 0 && event.timestamp <= MAX_EPOCH_SECONDS))
    throw new RangeError(`event timestamp ${event.timestamp} is out of range`);
  if (!(event.receivedAtMs >= 0 && event.receivedAtMs <= MAX_EPOCH_SECONDS * 1000))
    throw new RangeError(`event receivedAtMs ${event.receivedAtMs} is out of range`);
  return event;
}

export function encodeDeadLetter(record: DeadLetter): Buffer {
  const bytes = DeadLetter.encode(record, writer).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function decodeDeadLetter(value: Uint8Array): DeadLetter {
  return DeadLetter.decode(value);
}
