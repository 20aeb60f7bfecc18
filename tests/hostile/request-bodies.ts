import { fillExample, type RouteContext, type RouteSpec } from './gateway-routes';
import type { HostileJson } from './hostile-json';
import type { Random } from './seeded-random';

export interface RequestBody {
  kind: string;
  headers: Record<string, string>;
  bytes?: Buffer;
  /** false when the parameters travel in the body instead of the query. */
  takesQuery: boolean;
}

type JsonMaker = (random: Random, fields: Record<string, string>, size: number) => HostileJson;

const BAD_CONTENT_TYPES = [
  'application/json; charset=utf-16',
  'application/json; charset=bogus',
  'text/plain',
  'application/xml',
  'multipart/form-data',
  'multipart/form-data; boundary=',
  'application/x-www-form-urlencoded; charset=iso-2022-jp',
  'à/é',
  '',
];

function multipart(pairs: string[], boundary: string): Buffer {
  const parts = pairs.map((pair) => {
    const [name = '', value = ''] = pair.split('=');
    const decoded = (text: string) => {
      try {
        return decodeURIComponent(text);
      } catch {
        return text;
      }
    };
    return `--${boundary}\r\nContent-Disposition: form-data; name="${decoded(name)}"\r\n\r\n${decoded(value)}\r\n`;
  });
  return Buffer.from(`${parts.join('')}--${boundary}--\r\n`, 'utf8');
}

/**
 * The body of a request: none, the parameters as a urlencoded or multipart form, a (hostile) JSON
 * body for routes that read JSON, or — when `hostile` — an oversized, mislabelled or broken one.
 */
export function bodyFor(
  random: Random,
  route: RouteSpec,
  method: string,
  pairs: string[],
  context: RouteContext,
  hostile: boolean,
  makeJson: JsonMaker,
): RequestBody {
  if (route.json && (hostile || random.chance(0.5))) {
    const fields = Object.fromEntries(
      Object.entries(route.json).map(([name, example]) => [name, fillExample(example, context)]),
    );
    const json = hostile
      ? makeJson(random, fields, random.pick([10, 1_000, 100_000]))
      : makeJson(random, fields, 8);
    const type = random.chance(0.8) ? 'application/json' : random.pick(BAD_CONTENT_TYPES);
    return {
      kind: `json ${json.kind}`,
      headers: type ? { 'content-type': type } : {},
      bytes: Buffer.from(json.text),
      takesQuery: true,
    };
  }
  if (hostile) {
    const kind = random.pick([
      'oversized-form',
      'oversized-json',
      'bad-gzip',
      'unknown-encoding',
      'wrong-type',
      'bad-multipart',
      'file-part',
      'many-fields',
    ]);
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const bytes: Record<string, () => [Record<string, string>, Buffer]> = {
      'oversized-form': () => [form, Buffer.from(`a=${'b'.repeat(200_000)}`)],
      'oversized-json': () => [
        { 'content-type': 'application/json' },
        Buffer.from(`{"a":"${'b'.repeat(1_500_000)}"}`),
      ],
      'bad-gzip': () => [{ ...form, 'content-encoding': 'gzip' }, Buffer.from(pairs.join('&') || 'a=1')],
      'unknown-encoding': () => [
        { ...form, 'content-encoding': random.pick(['br', 'zstd', 'x-evil', 'gzip, gzip']) },
        Buffer.from('a=1'),
      ],
      'wrong-type': () => [{ 'content-type': random.pick(BAD_CONTENT_TYPES) }, Buffer.from(pairs.join('&'))],
      'bad-multipart': () => [
        { 'content-type': 'multipart/form-data; boundary=xyz' },
        Buffer.from('--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\nunterminated'),
      ],
      'file-part': () => [
        { 'content-type': 'multipart/form-data; boundary=xyz' },
        Buffer.from(
          '--xyz\r\nContent-Disposition: form-data; name="f"; filename="x.bin"\r\n\r\nAAAA\r\n--xyz--\r\n',
        ),
      ],
      'many-fields': () => [
        form,
        Buffer.from(Array.from({ length: 5_000 }, (_, i) => `f${i}=${i}`).join('&')),
      ],
    };
    const [headers, body] = (bytes[kind] as () => [Record<string, string>, Buffer])();
    return { kind, headers, bytes: body, takesQuery: kind !== 'wrong-type' };
  }
  if (method !== 'GET' && method !== 'HEAD' && pairs.length > 0 && random.chance(0.5)) {
    if (random.chance(0.5)) {
      return {
        kind: 'form',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        bytes: Buffer.from(pairs.join('&')),
        takesQuery: false,
      };
    }
    const boundary = `b${random.int(1e9)}`;
    return {
      kind: 'multipart',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      bytes: multipart(pairs, boundary),
      takesQuery: false,
    };
  }
  return { kind: 'none', headers: {}, takesQuery: true };
}
