import { status } from '@grpc/grpc-js';

/** How one Graph error is presented to gRPC callers. */
export interface GraphErrorClass {
  grpcCode: status;
  /** UPPER_SNAKE `google.rpc.ErrorInfo.reason`. */
  reason: string;
  /** Whether a `google.rpc.RetryInfo` is attached (a retry can help). */
  retryable: boolean;
}

/** Graph codes of the rate-limit family: back off, then retry. */
export const RATE_LIMIT_CODES: ReadonlySet<number> = new Set([4, 9, 17, 32, 341, 613, 80001, 80002, 80006]);
/** Graph codes of temporary failures: retry soon. */
export const TRANSIENT_CODES: ReadonlySet<number> = new Set([1, 2, 1200]);
/** Subcodes of code 10 meaning "outside the allowed messaging window". */
const OUTSIDE_WINDOW_SUBCODES: ReadonlySet<number> = new Set([2018278, 2018065]);

const c = (grpcCode: status, reason: string, retryable = false): GraphErrorClass => ({ grpcCode, reason, retryable });

const BY_CODE: ReadonlyMap<number, GraphErrorClass> = new Map([
  [100, c(status.INVALID_ARGUMENT, 'INVALID_PARAMETER')],
  [551, c(status.FAILED_PRECONDITION, 'RECIPIENT_UNAVAILABLE')],
  [10903, c(status.FAILED_PRECONDITION, 'CANNOT_REPLY_TO_ACTIVITY')],
  [10900, c(status.ALREADY_EXISTS, 'ACTIVITY_ALREADY_REPLIED')],
  [10904, c(status.FAILED_PRECONDITION, 'PAGE_MESSAGING_DISABLED')],
  [2022, c(status.FAILED_PRECONDITION, 'COMMERCE_MESSAGING_DISABLED')],
  // The Page token is the gateway's credential, not the caller's: UNAUTHENTICATED would blame the caller.
  [190, c(status.FAILED_PRECONDITION, 'PAGE_ACCESS_TOKEN_INVALID')],
  [10, c(status.PERMISSION_DENIED, 'PERMISSION_ERROR')],
  [200, c(status.PERMISSION_DENIED, 'PERMISSION_ERROR')],
  [230, c(status.PERMISSION_DENIED, 'PERMISSION_ERROR')],
  [368, c(status.PERMISSION_DENIED, 'ACTION_BLOCKED_AS_ABUSIVE')],
]);

const RATE_LIMITED = c(status.RESOURCE_EXHAUSTED, 'RATE_LIMITED', true);
const TEMPORARY = c(status.UNAVAILABLE, 'TEMPORARY_SEND_FAILURE', true);
const OUTSIDE_WINDOW = c(status.FAILED_PRECONDITION, 'OUTSIDE_MESSAGING_WINDOW');
const RECIPIENT_NOT_FOUND = c(status.INVALID_ARGUMENT, 'RECIPIENT_NOT_FOUND');
const OTHER = c(status.UNKNOWN, 'GRAPH_ERROR');

/** The gRPC code and reason of a Graph error: branch on code and subcode, never on HTTP status. */
export function classifyGraphError(code: number, subcode: number, isTransient: boolean | undefined): GraphErrorClass {
  if (RATE_LIMIT_CODES.has(code)) return RATE_LIMITED;
  if (TRANSIENT_CODES.has(code) || isTransient === true) return TEMPORARY;
  if (code === 10 && OUTSIDE_WINDOW_SUBCODES.has(subcode)) return OUTSIDE_WINDOW;
  if (code === 100 && subcode === 2018001) return RECIPIENT_NOT_FOUND;
  return BY_CODE.get(code) ?? OTHER;
}

/** What Graph's error table says of a code, for a status message when Graph sent no message. */
export const GRAPH_CODE_DESCRIPTIONS: ReadonlyMap<number, string> = new Map([
  [551, "This person isn't available right now."],
  [100, 'Invalid parameter'],
  [2022, 'The ability to send commerce messages has been temporarily disabled for this application.'],
  [613, 'Calls to this api have exceeded the rate limit.'],
  [10903, 'This user cant reply to this activity'],
  [368, 'The action attempted has been deemed abusive or is otherwise disallowed'],
  [190, 'Invalid OAuth 2.0 Access Token'],
  [10900, 'Activity already replied to'],
  [200, 'Permissions error'],
  [10904, 'The page has messages disabled in the settings'],
  [1200, 'Temporary send message failure'],
]);
