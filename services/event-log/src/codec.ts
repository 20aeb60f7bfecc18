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

/** Throws on bytes that are not a CeleryEvent; consumers treat that as a poison record. */
export function decodeEvent(value: Uint8Array): CeleryEvent {
  return CeleryEvent.decode(value);
}

export function encodeDeadLetter(record: DeadLetter): Buffer {
  const bytes = DeadLetter.encode(record, writer).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function decodeDeadLetter(value: Uint8Array): DeadLetter {
  return DeadLetter.decode(value);
}
