import { findJsonSyntaxError } from '../config/json-syntax-error';
import { UsageError } from './usage-error';

/**
 * Parses an input's JSON text; a syntax error is a usage error naming `where`, the line and the column.
 * `firstLine` is the line number of the text's first line (for one line of a JSONL file).
 */
export function parseJsonInput(text: string, where: string, firstLine = 1): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const e = findJsonSyntaxError(text);
    throw new UsageError(e ? `${where}: not valid JSON: line ${e.line + firstLine - 1}, column ${e.column}: ${e.problem}` : `${where}: not valid JSON`);
  }
}
