import type { GraphError, GraphErrorCode } from '../../gen/messenger/v1/errors';

/** Reads Graph's `{"error": {...}}` envelope; undefined when the body is not one. */
export function parseGraphError(body: unknown, httpStatus: number): GraphError | undefined {
  if (!isRecord(body) || !isRecord(body.error)) return undefined;
  const e = body.error;
  const code = integer(e.code);
  if (code === undefined) return undefined;
  return {
    code: code as GraphErrorCode,
    errorSubcode: integer(e.error_subcode) ?? 0,
    type: text(e.type),
    message: text(e.message),
    fbtraceId: text(e.fbtrace_id),
    isTransient: typeof e.is_transient === 'boolean' ? e.is_transient : undefined,
    errorUserTitle: text(e.error_user_title),
    errorUserMsg: text(e.error_user_msg),
    errorData: isRecord(e.error_data) ? e.error_data : undefined,
    httpStatus,
  };
}

function integer(v: unknown): number | undefined {
  // Graph sometimes sends numbers as strings in older answers.
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && Math.abs(n) <= 2 ** 31 - 1 ? n : undefined;
}

function text(v: unknown): string {
  return typeof v === 'string' ? v.slice(0, 4096) : '';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
