import type { ViolationList } from './violation-list';

/**
 * thread_control is a google.protobuf.Struct passed to Graph unchanged. Decoded from the
 * wire it is always JSON, but a hand-built object may hold values JSON cannot carry.
 */
export function checkThreadControl(out: ViolationList, field: string, value: { [key: string]: unknown }): void {
  checkJson(out, field, value);
}

function checkJson(out: ViolationList, field: string, value: unknown): void {
  if (value === null || value === undefined || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) out.add(field, `must be a finite number (got ${value})`);
    return;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) checkJson(out, `${field}[${i}]`, value[i]);
    return;
  }
  if (typeof value === 'object' && isPlainObject(value)) {
    for (const [key, v] of Object.entries(value)) checkJson(out, `${field}.${key}`, v);
    return;
  }
  out.add(field, `must be a JSON value (got ${typeof value})`);
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
