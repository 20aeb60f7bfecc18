import { BadRequestError } from '../errors';

/**
 * Flower 2.1's task search language: terms joined by whitespace/AND, uppercase OR, parentheses,
 * double-quoted phrases, qualifiers name:/state:/worker:/args:/kwargs:/result:. Errors carry the
 * position as Flower's do ("... at position N.") and become a 400.
 */
export type SearchNode =
  | { kind: 'and' | 'or'; children: SearchNode[] }
  | { kind: 'term'; field: SearchField | null; value: string };

export type SearchField = 'name' | 'state' | 'worker' | 'args' | 'kwargs' | 'result';

const FIELDS = new Set<string>(['name', 'state', 'worker', 'args', 'kwargs', 'result']);
const MAX_LENGTH = 2048;
const MAX_TOKENS = 128;
const MAX_DEPTH = 5;
const MIN_SUBSTRING = 3;

interface Token {
  type: '(' | ')' | 'AND' | 'OR' | 'term';
  position: number;
  field?: SearchField | null;
  value?: string;
}

function fail(message: string, position: number): never {
  throw new BadRequestError(`${message} at position ${position}.`);
}

function readQuoted(text: string, start: number): { value: string; end: number } {
  let value = '';
  let index = start + 1;
  while (index < text.length) {
    const char = text[index];
    if (char === '\\' && text[index + 1] === '"') {
      value += '"';
      index += 2;
    } else if (char === '"') {
      return { value, end: index + 1 };
    } else {
      value += char;
      index += 1;
    }
  }
  return fail('Unterminated quoted phrase', start);
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text[index] as string;
    if (/\s/.test(char)) {
      index += 1;
      continue;
    }
    const position = index;
    if (char === '(' || char === ')') {
      tokens.push({ type: char, position });
      index += 1;
    } else if (char === '"') {
      const quoted = readQuoted(text, index);
      tokens.push({ type: 'term', position, field: null, value: quoted.value });
      index = quoted.end;
    } else {
      let word = '';
      while (index < text.length && !/[\s()"]/.test(text[index] as string)) word += text[index++];
      const colon = word.indexOf(':');
      const qualifier = colon > 0 ? word.slice(0, colon).toLowerCase() : '';
      if (FIELDS.has(qualifier)) {
        let value = word.slice(colon + 1);
        if (value === '' && text[index] === '"') {
          const quoted = readQuoted(text, index);
          value = quoted.value;
          index = quoted.end;
        }
        if (value === '') fail(`Empty value for qualifier '${qualifier}'`, position);
        tokens.push({ type: 'term', position, field: qualifier as SearchField, value });
      } else if (word === 'AND' || word === 'OR') {
        tokens.push({ type: word, position });
      } else if (word === 'NOT') {
        fail('NOT is not supported', position);
      } else if (word.startsWith('-')) {
        fail('Negation with a leading "-" is not supported', position);
      } else {
        tokens.push({ type: 'term', position, field: null, value: word });
      }
    }
    if (tokens.length > MAX_TOKENS) fail(`Search has more than ${MAX_TOKENS} tokens`, position);
  }
  return tokens;
}

function checkTerm(token: Token): SearchNode {
  const value = token.value ?? '';
  const exact = token.field === 'state' || (token.field === 'kwargs' && value.includes('='));
  if (!exact && value.length < MIN_SUBSTRING) {
    fail(`Substring search terms must contain at least ${MIN_SUBSTRING} characters`, token.position);
  }
  return { kind: 'term', field: token.field ?? null, value };
}

export function parseSearch(text: string): SearchNode | null {
  if (text.length > MAX_LENGTH) fail(`Search is longer than ${MAX_LENGTH} characters`, MAX_LENGTH);
  const tokens = tokenize(text);
  if (tokens.length === 0) return null;
  let cursor = 0;
  const peek = () => tokens[cursor];

  const parseOr = (depth: number): SearchNode => {
    const children = [parseAnd(depth)];
    while (peek()?.type === 'OR') {
      const operator = tokens[cursor++] as Token;
      if (!peek() || peek()?.type === ')' || peek()?.type === 'OR' || peek()?.type === 'AND') {
        fail('Dangling OR', operator.position);
      }
      children.push(parseAnd(depth));
    }
    return children.length === 1 ? (children[0] as SearchNode) : { kind: 'or', children };
  };

  const parseAnd = (depth: number): SearchNode => {
    const children = [parsePrimary(depth)];
    for (let next = peek(); next && next.type !== ')' && next.type !== 'OR'; next = peek()) {
      if (next.type === 'AND') {
        cursor += 1;
        const following = peek();
        if (!following || following.type === ')' || following.type === 'OR' || following.type === 'AND') {
          fail('Dangling AND', next.position);
        }
      }
      children.push(parsePrimary(depth));
    }
    return children.length === 1 ? (children[0] as SearchNode) : { kind: 'and', children };
  };

  const parsePrimary = (depth: number): SearchNode => {
    const token = tokens[cursor++];
    if (!token) return fail('Unexpected end of search', text.length);
    if (token.type === '(') {
      if (depth + 1 > MAX_DEPTH) fail(`Parentheses nested deeper than ${MAX_DEPTH}`, token.position);
      if (peek()?.type === ')') fail('Empty group', token.position);
      const inner = parseOr(depth + 1);
      if (peek()?.type !== ')') fail('Missing closing parenthesis', token.position);
      cursor += 1;
      return inner;
    }
    if (token.type === 'term') return checkTerm(token);
    return fail(`Unexpected ${token.type === ')' ? "')'" : token.type}`, token.position);
  };

  const tree = parseOr(0);
  const rest = peek();
  if (rest) fail(`Unexpected ${rest.type === ')' ? "')'" : rest.type}`, rest.position);
  return tree;
}
