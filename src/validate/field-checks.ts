import type { ViolationList } from './violation-list';

/** Length in Unicode code points: Graph counts characters, and emoji are 2 UTF-16 units. */
export function codePointLength(s: string): number {
  // Fast path: a string without surrogates has one code point per UTF-16 unit.
  if (!/[\uD800-\uDFFF]/.test(s)) return s.length;
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** `field` must be non-empty. Returns whether it is. */
export function checkRequired(out: ViolationList, field: string, value: string): boolean {
  if (value === '') {
    out.add(field, 'is required');
    return false;
  }
  return true;
}

/** `field`, when set, must have at most `max` characters (`≤ max`). */
export function checkMaxChars(out: ViolationList, field: string, value: string, max: number): void {
  if (value.length <= max) return; // code points never outnumber UTF-16 units
  const n = codePointLength(value);
  if (n > max) out.add(field, `must be at most ${max} characters (got ${n})`);
}

/** `field` must have fewer than `limit` characters (`< limit`), as Graph words its text limits. */
export function checkFewerChars(out: ViolationList, field: string, value: string, limit: number): void {
  if (value.length < limit) return;
  const n = codePointLength(value);
  if (n >= limit) out.add(field, `must be fewer than ${limit} characters (got ${n})`);
}

/** `field` is required and must be at most `max` characters. */
export function checkRequiredMax(out: ViolationList, field: string, value: string, max: number): void {
  if (checkRequired(out, field, value)) checkMaxChars(out, field, value, max);
}

/** Whether `s` is, as written, an absolute http: or https: URL (sent unchanged, so no repairs by the URL parser). */
export function isHttpUrl(s: string, httpsOnly = false): boolean {
  // new URL() silently fixes "https:example.com" and surrounding spaces; Graph gets the original string.
  if (!/^https?:\/\/[^\s/?#]/i.test(s) || /\s/.test(s)) return false;
  let protocol: string;
  try {
    protocol = new URL(s).protocol;
  } catch {
    return false;
  }
  return protocol === 'https:' || (!httpsOnly && protocol === 'http:');
}

/** `field` must be an absolute http(s) URL (https only when asked); empty is checked only when required. */
export function checkUrl(
  out: ViolationList,
  field: string,
  value: string,
  opts: { required?: boolean; httpsOnly?: boolean } = {},
): void {
  if (value === '') {
    if (opts.required) out.add(field, 'is required');
    return;
  }
  if (!isHttpUrl(value, opts.httpsOnly)) {
    out.add(field, opts.httpsOnly ? 'must be an absolute https URL' : 'must be an absolute http(s) URL');
  }
}

/** Graph ids (PSIDs, persona ids, attachment ids) are strings of digits. */
export function isNumericId(s: string): boolean {
  return /^[0-9]+$/.test(s);
}

/** A TypeScript numeric enum object as ts-proto generates it (with its reverse mapping). */
export type NumericEnum = Record<string | number, string | number>;

/**
 * Whether `value` is a value the contract defines. ts-proto maps unknown wire values to
 * UNRECOGNIZED (-1), but a caller building objects by hand can pass any number.
 */
export function isKnownEnumValue(enumObj: NumericEnum, value: number): boolean {
  return Number.isInteger(value) && value >= 0 && typeof enumObj[value] === 'string';
}

/**
 * `field` must be a known enum value, and set when `required`. Returns whether the value is
 * known and set, so that callers skip the rules that depend on it otherwise.
 */
export function checkEnum(
  out: ViolationList,
  field: string,
  enumObj: NumericEnum,
  value: number,
  required: boolean,
): boolean {
  if (!isKnownEnumValue(enumObj, value)) {
    out.add(field, `must be a known value (got ${value})`);
    return false;
  }
  if (value === 0) {
    if (required) out.add(field, 'is required');
    return false;
  }
  return true;
}

/** `field` (a repeated field) must hold between `min` and `max` items of `noun` (plural). */
export function checkCount(
  out: ViolationList,
  field: string,
  count: number,
  min: number,
  max: number,
  noun: string,
): void {
  if (min === max && count !== min) {
    out.add(field, `must have exactly ${min} ${min === 1 ? singular(noun) : noun} (got ${count})`);
  } else if (count < min) {
    out.add(field, min === 1 ? `at least 1 ${singular(noun)} is required` : `at least ${min} ${noun} are required (got ${count})`);
  } else if (count > max) {
    out.add(field, `at most ${max} ${noun} (got ${count})${count > MAX_WALKED_ITEMS ? `; the ${noun} were not checked one by one` : ''}`);
  }
}

function singular(noun: string): string {
  return noun.endsWith('ies') ? `${noun.slice(0, -3)}y` : noun.replace(/s$/, '');
}

/** A caller's value as a violation may echo it: short ones whole, long ones cut (never a 4 MB echo). */
export function shown(value: string, max = 40): string {
  return value.length <= max ? value : `${value.slice(0, max)}… (${value.length} characters)`;
}

/**
 * Repeated fields far beyond any Graph limit are refused at once, their items not walked one
 * by one: the answer stays a few violations, however long the list.
 */
export const MAX_WALKED_ITEMS = 1_000;

/** How many items of a repeated field to walk: none past MAX_WALKED_ITEMS (its count violation says why). */
export function walkCount(items: readonly unknown[]): number {
  return items.length > MAX_WALKED_ITEMS ? 0 : items.length;
}
