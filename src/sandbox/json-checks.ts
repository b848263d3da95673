// Small checks over parsed JSON shared by the Send API validator. Each returns Graph's error
// for the first problem, or undefined, so rules chain with `??` and stop at the first failure
// (Graph reports one error per request).

import { invalidParam, type GraphErrorFields } from './graph-errors';

/** The first problem found, or undefined when the value passes. */
export type Check = GraphErrorFields | undefined;

/** A plain JSON object (not an array, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Length in Unicode code points: Graph counts characters, and an emoji is one. */
export function chars(s: string): number {
  if (!/[\uD800-\uDFFF]/.test(s)) return s.length;
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** `(#100) The parameter X is required`. */
export function missing(name: string): GraphErrorFields {
  return invalidParam(`The parameter ${name} is required`);
}

/** A required, non-empty string of at most `max` characters. */
export function requireString(value: unknown, name: string, max?: number): Check {
  if (value === undefined || value === null || value === '') return missing(name);
  return optionalString(value, name, max);
}

/** An optional string of at most `max` characters. */
export function optionalString(value: unknown, name: string, max?: number): Check {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return invalidParam(`Param ${name} must be a string`);
  if (max !== undefined && chars(value) > max) {
    return invalidParam(`Length of param ${name} must be less than or equal to ${max}`);
  }
  return undefined;
}

/** A required JSON object. */
export function requireObject(value: unknown, name: string): Check {
  if (value === undefined || value === null) return missing(name);
  return isObject(value) ? undefined : invalidParam(`Param ${name} must be a JSON object`);
}

/** An optional array whose length lies in [min, max]. */
export function optionalArray(value: unknown, name: string, min: number, max: number): Check {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return invalidParam(`Param ${name} must be an array`);
  if (value.length < min) return invalidParam(`Param ${name} must have at least ${min} element${min === 1 ? '' : 's'}`);
  if (value.length > max) return invalidParam(`Param ${name} must have at most ${max} elements`);
  return undefined;
}

/** A required array whose length lies in [min, max]. */
export function requireArray(value: unknown, name: string, min: number, max: number): Check {
  if (value === undefined || value === null) return missing(name);
  return optionalArray(value, name, min, max);
}

/** A value from `allowed` (compared case-insensitively when `anyCase`). */
export function oneOf(value: unknown, name: string, allowed: readonly string[], anyCase = false): Check {
  const ok = typeof value === 'string' &&
    (anyCase ? allowed.some((a) => a.toLowerCase() === value.toLowerCase()) : allowed.includes(value));
  if (ok) return undefined;
  const got = typeof value === 'string' ? value : JSON.stringify(value);
  return invalidParam(`Param ${name} must be one of {${allowed.join(', ')}} - got "${got}"`);
}

/** An optional boolean. */
export function optionalBoolean(value: unknown, name: string): Check {
  if (value === undefined || typeof value === 'boolean') return undefined;
  return invalidParam(`Param ${name} must be a boolean`);
}

/** A number, or a string holding one (receipts allow both). */
export function requireAmount(value: unknown, name: string): Check {
  if (value === undefined || value === null || value === '') return missing(name);
  return optionalAmount(value, name);
}

/** An optional number, or a string holding one. */
export function optionalAmount(value: unknown, name: string): Check {
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(n) ? undefined : invalidParam(`Param ${name} must be a number`);
}

/** Refuses keys outside `allowed`: Graph rejects parameters it does not know. */
export function knownKeys(obj: Record<string, unknown>, name: string | undefined, allowed: ReadonlySet<string>): Check {
  for (const key of Object.keys(obj)) {
    if (!allowed.has(key)) {
      const full = name === undefined ? key : `${name}[${key}]`;
      return invalidParam(`Param ${full} is not a valid parameter`);
    }
  }
  return undefined;
}

/** The items of an array checked in order; the first failure wins. */
export function each(value: unknown, name: string, check: (item: unknown, name: string) => Check): Check {
  if (!Array.isArray(value)) return undefined;
  for (let i = 0; i < value.length; i++) {
    const problem = check(value[i], `${name}[${i}]`);
    if (problem) return problem;
  }
  return undefined;
}

/** An optional http(s) URL, as Graph requires of every URL it opens or shows (never `javascript:`). */
export function optionalUrl(value: unknown, name: string): Check {
  const problem = optionalString(value, name);
  if (problem || value === undefined || value === '') return problem;
  return /^https?:\/\/[^\s/]+/i.test(value as string) ? undefined : invalidParam(`Param ${name} must be a valid URL`);
}

/** A required http(s) URL. */
export function requireUrl(value: unknown, name: string): Check {
  if (value === undefined || value === null || value === '') return missing(name);
  return optionalUrl(value, name);
}
