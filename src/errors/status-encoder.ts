import { Metadata, type status } from '@grpc/grpc-js';
import { Any } from '../../gen/google/protobuf/any';
import { BadRequest, BadRequest_FieldViolation, ErrorInfo, RetryInfo } from '../../gen/google/rpc/error_details';
import { Status } from '../../gen/google/rpc/status';
import { GraphError } from '../../gen/messenger/v1/errors';
import { redactSecrets, redactStrings } from '../redaction/secret-redaction';
import { domainOf, reasonName, type Failure } from './failure';

/**
 * How a Failure becomes a gRPC status (the unary answer, a refused call, a SendMessages item, a
 * replayed outcome), used by the RPC edge (src/service/rpc-edge.ts) only. Everything that leaves
 * here is redacted (every registered secret and anything shaped like a credential becomes
 * `[REDACTED]`) and bounded: status message plus `grpc-status-details-bin` stay within
 * MAX_TRAILER_BYTES as they go on the wire, which gRPC's C core (Python, C++, Ruby, PHP, C#
 * callers) accepts by default, and far below the 64 KB that froze a grpc-js connection.
 */

/** The trailer every gRPC rich-error library (Go, Python, Java, buf curl) decodes. */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
/** The retry delay, in milliseconds, for gRPC clients' built-in retry policies. */
export const RETRY_PUSHBACK_KEY = 'grpc-retry-pushback-ms';

/** The bound of status message + details on the wire (headers as HPACK counts them). */
export const MAX_TRAILER_BYTES = 8192;
// grpc-message is percent-encoded on the wire (up to 3 bytes per byte); the details are
// base64 (4 per 3). 384 * 3 + 4608 * 4 / 3 = 7296, leaving room for the keys, the pushback and
// replay trailers and HPACK's 32 bytes per entry.
const MAX_MESSAGE_BYTES = 384;
const MAX_STATUS_BYTES = 4608;
const MAX_METADATA_ENTRIES = 16;
const MAX_METADATA_VALUE = 256;
const MAX_FIELD = 200;
const MAX_DESCRIPTION = 400;
const MAX_GRAPH_MESSAGE = 1024;
const MAX_GRAPH_USER_TEXT = 512;
const MAX_GRAPH_SHORT = 64;
const MAX_ERROR_DATA_JSON = 1024;
// Room kept for the "N more violations" entry and the BadRequest's own Any wrapper.
const OMITTED_NOTE_RESERVE = 160;

/** What grpc-js takes as an error answer (`callback(err)`, `call.sendStatus`, `call.emit('error')`). */
export interface EncodedStatus {
  code: status;
  details: string;
  metadata: Metadata;
}

/** A failure as the gRPC status a caller receives, with its details trailer (and retry pushback). */
export function encodeFailure(failure: Failure, extraTrailers?: Metadata): EncodedStatus {
  const st = failureStatus(failure);
  const metadata = new Metadata();
  metadata.set(STATUS_DETAILS_KEY, Buffer.from(Status.encode(st).finish()));
  // gRPC's own retry (a service config's retryPolicy) cannot read RetryInfo; this trailer it honours.
  if (failure.retryAfterMs !== undefined) metadata.set(RETRY_PUSHBACK_KEY, String(Math.max(1, Math.round(failure.retryAfterMs))));
  if (extraTrailers) metadata.merge(extraTrailers);
  return { code: failure.code, details: st.message, metadata };
}

/** The `google.rpc.Status` of a failure, redacted and bounded (also a SendMessages item's `error`). */
export function failureStatus(failure: Failure): Status {
  const message = clipBytes(redactSecrets(failure.message), MAX_MESSAGE_BYTES);
  const details: Any[] = [pack('google.rpc.ErrorInfo', ErrorInfo.encode(errorInfo(failure)).finish())];
  if (failure.retryAfterMs !== undefined) {
    const seconds = Math.max(failure.retryAfterMs, 1) / 1000;
    const whole = Math.floor(seconds);
    const retry: RetryInfo = { retryDelay: { seconds: String(whole), nanos: Math.round((seconds - whole) * 1e9) } };
    details.push(pack('google.rpc.RetryInfo', RetryInfo.encode(retry).finish()));
  }
  let size = Status.encode({ code: failure.code, message, details }).finish().length;
  if (failure.graph) {
    for (const bounded of [boundGraphError(failure.graph, MAX_GRAPH_MESSAGE, true), boundGraphError(failure.graph, MAX_GRAPH_SHORT * 2, false)]) {
      const any = pack('messenger.v1.GraphError', GraphError.encode(bounded).finish());
      const n = encodedAnySize(any);
      if (size + n <= MAX_STATUS_BYTES - (failure.violations ? OMITTED_NOTE_RESERVE : 0)) {
        details.push(any);
        size += n;
        break;
      }
    }
  }
  if (failure.violations) {
    const badRequest = fitViolations(failure.violations, MAX_STATUS_BYTES - size - OMITTED_NOTE_RESERVE);
    details.push(pack('google.rpc.BadRequest', BadRequest.encode(badRequest).finish()));
  }
  return { code: failure.code, message, details };
}

/** A success answer with every string redacted (Graph's ids come from Graph, which may echo anything). */
export function redactResponse<T extends object>(response: T): T {
  return redactStrings(response);
}

function errorInfo(failure: Failure): ErrorInfo {
  const metadata: Record<string, string> = {};
  let n = 0;
  for (const [k, v] of Object.entries(failure.metadata ?? {})) {
    if (n++ >= MAX_METADATA_ENTRIES) break;
    metadata[clipBytes(k, MAX_GRAPH_SHORT)] = clipBytes(redactSecrets(v), MAX_METADATA_VALUE);
  }
  return { reason: reasonName(failure.reason), domain: failure.domain ?? domainOf(failure.reason), metadata };
}

function boundGraphError(g: GraphError, maxMessage: number, withData: boolean): GraphError {
  return {
    code: g.code,
    errorSubcode: g.errorSubcode,
    type: clipBytes(redactSecrets(g.type), MAX_GRAPH_SHORT),
    message: clipBytes(redactSecrets(g.message), maxMessage),
    fbtraceId: clipBytes(redactSecrets(g.fbtraceId), MAX_GRAPH_SHORT),
    isTransient: g.isTransient,
    errorUserTitle: clipBytes(redactSecrets(g.errorUserTitle), Math.min(maxMessage, MAX_GRAPH_USER_TEXT)),
    errorUserMsg: clipBytes(redactSecrets(g.errorUserMsg), Math.min(maxMessage, MAX_GRAPH_USER_TEXT)),
    errorData: withData ? boundErrorData(g.errorData) : undefined,
    httpStatus: g.httpStatus,
  };
}

/** Graph's free-form `error_data`, redacted; past MAX_ERROR_DATA_JSON its JSON text, cut. */
function boundErrorData(data: GraphError['errorData']): GraphError['errorData'] {
  if (data === undefined) return undefined;
  let json: string;
  try {
    json = JSON.stringify(data);
  } catch {
    return { truncated: true };
  }
  const redacted = redactSecrets(json);
  if (redacted.length <= MAX_ERROR_DATA_JSON) return redacted === json ? data : (JSON.parse(redacted) as GraphError['errorData']);
  return { truncated: true, json_prefix: clipBytes(redacted, MAX_ERROR_DATA_JSON / 2), json_bytes: Buffer.byteLength(json) };
}

/** The violations that fit in `room` bytes, then one entry saying how many were left out. */
function fitViolations(violations: readonly { field: string; description: string }[], room: number): BadRequest {
  const fieldViolations: BadRequest_FieldViolation[] = [];
  let used = 0;
  for (const v of violations) {
    const fv: BadRequest_FieldViolation = {
      field: clipBytes(redactSecrets(v.field), MAX_FIELD),
      description: clipBytes(redactSecrets(v.description), MAX_DESCRIPTION),
      reason: '',
      localizedMessage: undefined,
    };
    const n = BadRequest_FieldViolation.encode(fv).finish().length + 3;
    if (used + n > room) break;
    fieldViolations.push(fv);
    used += n;
  }
  const left = violations.length - fieldViolations.length;
  if (left > 0) {
    fieldViolations.push({
      field: '(more)',
      description: `${left} more violation${left === 1 ? '' : 's'} not listed: the answer is bounded to ${MAX_TRAILER_BYTES} bytes`,
      reason: '',
      localizedMessage: undefined,
    });
  }
  return { fieldViolations };
}

function pack(typeName: string, value: Uint8Array): Any {
  return { typeUrl: `type.googleapis.com/${typeName}`, value: Buffer.from(value) };
}

function encodedAnySize(any: Any): number {
  // The Any message plus its field tag and a length prefix of up to 2 bytes in Status.details.
  return Any.encode(any).finish().length + 3;
}

/** `text` cut to at most `max` UTF-8 bytes (on a character boundary), marked when cut. */
export function clipBytes(text: string, max: number): string {
  if (text.length * 3 <= max || Buffer.byteLength(text) <= max) return text;
  const marker = '…[cut]';
  const budget = max - Buffer.byteLength(marker);
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > budget) break;
    out += ch;
    bytes += n;
  }
  return out + marker;
}
