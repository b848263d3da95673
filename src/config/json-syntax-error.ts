/** Where a JSON text first breaks the grammar: 1-based line and column, and what was found there. */
export interface JsonSyntaxError {
  line: number;
  column: number;
  /** What is wrong, naming only JSON punctuation, never the text's values (a config holds secrets). */
  problem: string;
}

class Stop {
  constructor(readonly offset: number, readonly problem: string) {}
}

/**
 * The first syntax error of `text`, or undefined when it is valid JSON. V8's JSON.parse names a
 * character position at best, often none, and quotes the text itself (secrets included): this scanner
 * finds the line and column instead, and quotes nothing but the offending punctuation.
 */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  let i = 0;
  const found = (): string => (i >= text.length ? 'the end of the text' : describe(text[i]));
  const fail = (expected: string): never => {
    throw new Stop(i, `expected ${expected}, found ${found()}`);
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const literal = (word: string) => {
    for (const ch of word) {
      if (text[i] !== ch) fail(`"${word}"`);
      i++;
    }
  };
  const digits = (what: string) => {
    if (!/[0-9]/.test(text[i] ?? '')) fail(what);
    while (/[0-9]/.test(text[i] ?? '')) i++;
  };
  const string = () => {
    i++; // the opening quote
    for (;;) {
      if (i >= text.length) throw new Stop(i, 'a string is not closed (missing ")');
      const c = text.charCodeAt(i);
      if (c === 0x22) return void i++;
      if (c < 0x20) throw new Stop(i, 'a control character (such as a line break) inside a string: write it as \\n, \\t, …');
      if (c === 0x5c) {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) throw new Stop(i, 'a \\u escape needs 4 hex digits');
          i += 5;
        } else if (text[i] !== undefined && '"\\/bfnrt'.includes(text[i])) i++;
        else throw new Stop(i, 'an invalid escape in a string (valid: \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)');
      } else i++;
    }
  };
  const number = () => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else digits('a digit');
    if (text[i] === '.') {
      i++;
      digits('a digit after "."');
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      digits('a digit in the exponent');
    }
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail('a "quoted" key');
        string();
        ws();
        if (text[i] !== ':') fail('":" after the key');
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          ws();
          if (text[i] === '}') fail('another key after "," (JSON allows no trailing comma)');
          continue;
        }
        if (text[i] === '}') return void i++;
        fail('"," or "}"');
      }
    }
    if (ch === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          ws();
          if (text[i] === ']') fail('another value after "," (JSON allows no trailing comma)');
          continue;
        }
        if (text[i] === ']') return void i++;
        fail('"," or "]"');
      }
    }
    if (ch === '"') return string();
    if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return number();
    if (ch === 't') return literal('true');
    if (ch === 'f') return literal('false');
    if (ch === 'n') return literal('null');
    fail('a value');
  };
  try {
    if (text.charCodeAt(0) === 0xfeff) i = 1; // a byte order mark
    value();
    ws();
    if (i < text.length) fail('the end of the text after the value');
    return undefined;
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
    return { ...lineAndColumn(text, err.offset), problem: err.problem };
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let j = 0; j < offset && j < text.length; j++) {
    if (text[j] === '\n') {
      line++;
      lineStart = j + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** A character as a reader sees it; letters and digits are shown only as a kind (they may be a secret's start). */
function describe(ch: string): string {
  if (/[A-Za-z0-9]/.test(ch)) return /[0-9]/.test(ch) ? 'a digit' : `a bare word (strings need "quotes")`;
  if (ch === '\n' || ch === '\r') return 'a line break';
  if (ch === "'") return `' (JSON strings need "double quotes")`;
  return JSON.stringify(ch);
}
