import { status } from '@grpc/grpc-js';
import { ErrorReason, GraphErrorCode, GraphErrorSubcode } from '../../gen/messenger/v1/errors';

/**
 * Everything the gateway knows of each Graph error code, in one table keyed by the generated
 * GraphErrorCode: its family (what a retry or a pause can do about it), Graph's own wording
 * and HTTP status (the sandbox answers with them), and what a gRPC caller gets. Read by the
 * error mapping, the retry policy, the page pauses and the sandbox.
 */
export type GraphFamily =
  /** Back off, then retry; the Page pauses (unless `perUser`). */
  | 'rate-limit'
  /** Graph failed for itself: retry soon. */
  | 'transient'
  /** The app, the token or the Page lacks a right: no retry helps. */
  | 'permission'
  /** The request was wrong for Graph. */
  | 'invalid'
  /** The person or the conversation does not allow this message. */
  | 'recipient'
  /** Anything else: no retry. */
  | 'other';

export interface GraphCodeEntry {
  family: GraphFamily;
  grpcCode: status;
  reason: ErrorReason;
  /** Graph's message, without its `(#code)` prefix. */
  text: string;
  /** Graph leaves the `(#code)` prefix off this message (codes 1, 2, 190). */
  bare?: boolean;
  /** The HTTP status Graph answers with (400 unless said). */
  httpStatus?: number;
  /** Graph marks it `is_transient: true`. */
  transient?: boolean;
  /** A rate limit of one user's actions (code 9): the Page as a whole is not paused. */
  perUser?: boolean;
}

const C = GraphErrorCode;
const R = ErrorReason;
const rateLimit = (text: string, perUser = false): GraphCodeEntry =>
  ({ family: 'rate-limit', grpcCode: status.RESOURCE_EXHAUSTED, reason: R.RATE_LIMITED, text, ...(perUser ? { perUser } : {}) });
const transient = (text: string, extra: Partial<GraphCodeEntry> = {}): GraphCodeEntry =>
  ({ family: 'transient', grpcCode: status.UNAVAILABLE, reason: R.TEMPORARY_SEND_FAILURE, text, ...extra });
const BUC = 'Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.';

/** The Send API's codes, with Graph's wording (Send API reference, Messenger error codes). */
export const GRAPH_CATALOGUE: ReadonlyMap<number, GraphCodeEntry> = new Map<number, GraphCodeEntry>([
  [C.GRAPH_ERROR_CODE_UNKNOWN, transient('An unknown error has occurred.', { bare: true, httpStatus: 500, transient: true })],
  [C.GRAPH_ERROR_CODE_SERVICE_UNAVAILABLE, transient('An unexpected error has occurred. Please retry your request later.', { bare: true, httpStatus: 500, transient: true })],
  [C.GRAPH_ERROR_CODE_APP_RATE_LIMIT, rateLimit('Application request limit reached')],
  [C.GRAPH_ERROR_CODE_USER_ACTION_RATE_LIMIT, rateLimit('This action was blocked. Please try again later.', true)],
  [C.GRAPH_ERROR_CODE_PERMISSION_DENIED, { family: 'permission', grpcCode: status.PERMISSION_DENIED, reason: R.PERMISSION_ERROR, text: 'This message is sent outside of allowed window.' }],
  [C.GRAPH_ERROR_CODE_USER_RATE_LIMIT, rateLimit('User request limit reached')],
  [C.GRAPH_ERROR_CODE_PAGE_RATE_LIMIT, rateLimit('Page request limit reached')],
  [C.GRAPH_ERROR_CODE_INVALID_PARAMETER, { family: 'invalid', grpcCode: status.INVALID_ARGUMENT, reason: R.INVALID_PARAMETER, text: 'Invalid parameter' }],
  // The Page token is the gateway's credential, not the caller's: UNAUTHENTICATED would blame the caller.
  [C.GRAPH_ERROR_CODE_INVALID_ACCESS_TOKEN, { family: 'permission', grpcCode: status.FAILED_PRECONDITION, reason: R.PAGE_ACCESS_TOKEN_INVALID, text: 'Invalid OAuth 2.0 Access Token', bare: true }],
  [C.GRAPH_ERROR_CODE_PERMISSIONS_ERROR, { family: 'permission', grpcCode: status.PERMISSION_DENIED, reason: R.PERMISSION_ERROR, text: 'Permissions error' }],
  [C.GRAPH_ERROR_CODE_PAGES_MESSAGING_PERMISSION, { family: 'permission', grpcCode: status.PERMISSION_DENIED, reason: R.PERMISSION_ERROR, text: 'Requires pages_messaging permission to manage the object' }],
  [C.GRAPH_ERROR_CODE_APP_LIMIT_REACHED, rateLimit('Application limit reached')],
  [C.GRAPH_ERROR_CODE_ACTION_DEEMED_ABUSIVE, { family: 'permission', grpcCode: status.PERMISSION_DENIED, reason: R.ACTION_BLOCKED_AS_ABUSIVE, text: 'The action attempted has been deemed abusive or is otherwise disallowed' }],
  [C.GRAPH_ERROR_CODE_PERSON_UNAVAILABLE, { family: 'recipient', grpcCode: status.FAILED_PRECONDITION, reason: R.RECIPIENT_UNAVAILABLE, text: "This person isn't available right now." }],
  [C.GRAPH_ERROR_CODE_RATE_LIMIT_EXCEEDED, rateLimit('Calls to this api have exceeded the rate limit.')],
  [C.GRAPH_ERROR_CODE_TEMPORARY_SEND_FAILURE, transient('Temporary send message failure. Please try again later', { httpStatus: 500 })],
  [C.GRAPH_ERROR_CODE_COMMERCE_MESSAGES_DISABLED, { family: 'permission', grpcCode: status.FAILED_PRECONDITION, reason: R.COMMERCE_MESSAGING_DISABLED, text: 'The ability to send commerce messages has been temporarily disabled for this application.' }],
  [C.GRAPH_ERROR_CODE_INVALID_ACCOUNT_LINKING_TOKEN, { family: 'other', grpcCode: status.UNKNOWN, reason: R.GRAPH_ERROR, text: 'Invalid account_linking_token' }],
  [C.GRAPH_ERROR_CODE_ACTIVITY_ALREADY_REPLIED, { family: 'recipient', grpcCode: status.ALREADY_EXISTS, reason: R.ACTIVITY_ALREADY_REPLIED, text: 'Activity already replied to' }],
  [C.GRAPH_ERROR_CODE_CANNOT_REPLY_TO_ACTIVITY, { family: 'recipient', grpcCode: status.FAILED_PRECONDITION, reason: R.CANNOT_REPLY_TO_ACTIVITY, text: 'This user cant reply to this activity' }],
  [C.GRAPH_ERROR_CODE_PAGE_MESSAGES_DISABLED, { family: 'permission', grpcCode: status.FAILED_PRECONDITION, reason: R.PAGE_MESSAGING_DISABLED, text: 'The page has messages disabled in the settings' }],
  [C.GRAPH_ERROR_CODE_PAGES_BUC_RATE_LIMIT, rateLimit(`There have been too many calls to this Page account. ${BUC}`)],
  [C.GRAPH_ERROR_CODE_INSTAGRAM_BUC_RATE_LIMIT, rateLimit(`There have been too many calls to this Instagram account. ${BUC}`)],
  [C.GRAPH_ERROR_CODE_MESSENGER_BUC_RATE_LIMIT, rateLimit(`There have been too many messenger api calls to this Page account. ${BUC}`)],
]);

export interface GraphSubcodeEntry {
  /** Graph's message for this subcode, when it words it specifically. */
  text?: string;
  title: string;
  msg: string;
  /** A different gRPC mapping than the code's (the code it applies to, and what it becomes). */
  override?: { code: number; grpcCode: status; reason: ErrorReason };
}

const S = GraphErrorSubcode;
const outsideWindow = { code: C.GRAPH_ERROR_CODE_PERMISSION_DENIED, grpcCode: status.FAILED_PRECONDITION, reason: R.OUTSIDE_MESSAGING_WINDOW };

/** Subcodes Graph words specifically, and those that change the mapping of their code. */
export const GRAPH_SUBCODES: ReadonlyMap<number, GraphSubcodeEntry> = new Map<number, GraphSubcodeEntry>([
  [S.GRAPH_ERROR_SUBCODE_NO_MATCHING_USER, {
    text: 'No matching user found', title: 'No Matching User', msg: 'No matching user found.',
    override: { code: C.GRAPH_ERROR_CODE_INVALID_PARAMETER, grpcCode: status.INVALID_ARGUMENT, reason: R.RECIPIENT_NOT_FOUND },
  }],
  [S.GRAPH_ERROR_SUBCODE_URL_FETCH_FAILED, { text: 'Failed to fetch the file from the url', title: 'Upload Failed', msg: 'Failed to fetch the file from the url.' }],
  [S.GRAPH_ERROR_SUBCODE_MESSAGE_AND_SENDER_ACTION, { text: 'Cannot send both message and state at the same time.', title: 'Invalid Request', msg: 'Cannot send both message and state at the same time.' }],
  [S.GRAPH_ERROR_SUBCODE_TEMPORARY_SEND_FAILURE, { title: 'Message Not Sent', msg: 'Temporary send message failure. Please try again later.' }],
  [S.GRAPH_ERROR_SUBCODE_ATTACHMENT_TYPE_MISMATCH, { text: 'Upload attachment failure.', title: 'Upload Failed', msg: 'The attachment type does not match the uploaded file.' }],
  [S.GRAPH_ERROR_SUBCODE_OUTSIDE_WINDOW_LEGACY, { title: 'Message Not Sent', msg: 'This message is sent outside of allowed window.', override: outsideWindow }],
  [S.GRAPH_ERROR_SUBCODE_CANNOT_RECEIVE_NOW, { title: 'Message Not Sent', msg: "This person can't receive messages right now." }],
  [S.GRAPH_ERROR_SUBCODE_ATTACHMENT_TOO_LARGE, { text: 'Attachment size exceeds allowable limit', title: 'Attachment Too Large', msg: 'The attachment is larger than 25 MB.' }],
  [S.GRAPH_ERROR_SUBCODE_OUTSIDE_WINDOW, {
    text: 'This message is sent outside of allowed window. Learn more about the new policy here: https://developers.facebook.com/docs/messenger-platform/policy-overview',
    title: 'Message Not Sent', msg: 'This message is sent outside of allowed window.', override: outsideWindow,
  }],
  [S.GRAPH_ERROR_SUBCODE_OUTSIDE_WINDOW_INSTAGRAM, { title: 'Message Not Sent', msg: 'This message is sent outside of allowed window.', override: outsideWindow }],
  [S.GRAPH_ERROR_SUBCODE_PERSON_UNAVAILABLE, { title: 'Message Not Sent', msg: "This person isn't available right now." }],
  [S.GRAPH_ERROR_SUBCODE_PAGE_TEMPORARILY_RESTRICTED, {
    text: 'This Page is temporarily restricted from sending messages.',
    title: 'Page Temporarily Restricted', msg: 'Your Page is temporarily restricted from sending messages. Try again later.',
  }],
  // The User Profile API's answer for a person without a profile the Page may read: the person is
  // not there for this caller, which NOT_FOUND says better than a parameter error.
  [S.GRAPH_ERROR_SUBCODE_NO_PROFILE_AVAILABLE, {
    text: 'No profile available for this user.', title: 'No Profile Available', msg: 'No profile available for this user.',
    override: { code: C.GRAPH_ERROR_CODE_INVALID_PARAMETER, grpcCode: status.NOT_FOUND, reason: R.USER_PROFILE_NOT_FOUND },
  }],
  [S.GRAPH_ERROR_SUBCODE_INVALID_PRIVATE_REPLY_COMMENT, { text: 'The comment is invalid for a private reply', title: 'Invalid Comment', msg: 'The comment is invalid for a private reply.' }],
]);

/** The catalogue entry of a code; undefined for codes Graph's docs do not list. */
export function graphCodeEntry(code: number): GraphCodeEntry | undefined {
  return GRAPH_CATALOGUE.get(code);
}

/** Graph's rate-limit family (613, 4, 9, 17, 32, 341, 80001, 80002, 80006). */
export function isRateLimitCode(code: number): boolean {
  return GRAPH_CATALOGUE.get(code)?.family === 'rate-limit';
}

/** A rate-limit code that pauses the whole Page (all of the family but code 9, a per-user limit). */
export function pausesPage(code: number): boolean {
  const e = GRAPH_CATALOGUE.get(code);
  return e?.family === 'rate-limit' && e.perUser !== true;
}

/** Graph's temporary failures (1, 2, 1200), or any error Graph marks transient. */
export function isTransientError(code: number, isTransient: boolean | undefined): boolean {
  return isTransient === true || GRAPH_CATALOGUE.get(code)?.family === 'transient';
}
