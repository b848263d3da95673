// Graph's error envelope and the catalogue of codes the sandbox can answer with. The wording
// follows Graph's own messages (Send API reference, Messenger error codes) so that clients
// which match on text as well as on code behave as they would against the real thing.

import { randomInt } from 'node:crypto';

/** The fields inside Graph's `{"error": {...}}`, without the per-request trace id. */
export interface GraphErrorFields {
  message: string;
  type: string;
  code: number;
  error_subcode?: number;
  error_user_title?: string;
  error_user_msg?: string;
  is_transient?: boolean;
}

/** Graph's error envelope exactly as it goes on the wire. */
export interface GraphErrorBody {
  error: GraphErrorFields & { fbtrace_id: string };
}

/** An error answer: the envelope plus the HTTP status Graph uses for it. */
export interface GraphErrorAnswer {
  status: number;
  body: GraphErrorBody;
}

const TRACE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random 11-character trace id, like Graph's `fbtrace_id`. */
export function fbtraceId(): string {
  let id = '';
  for (let i = 0; i < 11; i++) id += TRACE_ALPHABET[randomInt(TRACE_ALPHABET.length)];
  return id;
}

/** Wraps error fields in Graph's envelope with a fresh trace id. */
export function envelope(fields: GraphErrorFields): GraphErrorBody {
  return { error: { ...fields, fbtrace_id: fbtraceId() } };
}

/** A `(#100)` invalid-parameter error, optionally with a subcode. */
export function invalidParam(message: string, subcode?: number): GraphErrorFields {
  const fields: GraphErrorFields = { message: `(#100) ${message}`, type: 'OAuthException', code: 100 };
  if (subcode !== undefined) fields.error_subcode = subcode;
  return fields;
}

interface CodeInfo {
  /** Message without the `(#code)` prefix. */
  text: string;
  /** Graph leaves the prefix off a few messages (2, 190). */
  bare?: boolean;
  status?: number;
  transient?: boolean;
}

// Codes the Messenger docs list, with Graph's wording. HTTP 500 only where Graph uses it.
const CODES: Readonly<Record<number, CodeInfo>> = {
  1: { text: 'An unknown error has occurred.', bare: true, status: 500, transient: true },
  2: { text: 'An unexpected error has occurred. Please retry your request later.', bare: true, status: 500, transient: true },
  4: { text: 'Application request limit reached' },
  9: { text: 'This action was blocked. Please try again later.' },
  10: { text: 'This message is sent outside of allowed window.' },
  17: { text: 'User request limit reached' },
  32: { text: 'Page request limit reached' },
  100: { text: 'Invalid parameter' },
  190: { text: 'Invalid OAuth 2.0 Access Token', bare: true },
  200: { text: 'Permissions error' },
  230: { text: 'Requires pages_messaging permission to manage the object' },
  341: { text: 'Application limit reached' },
  368: { text: 'The action attempted has been deemed abusive or is otherwise disallowed' },
  551: { text: "This person isn't available right now." },
  613: { text: 'Calls to this api have exceeded the rate limit.' },
  1200: { text: 'Temporary send message failure. Please try again later', status: 500 },
  2022: { text: 'The ability to send commerce messages has been temporarily disabled for this application.' },
  10303: { text: 'Invalid account_linking_token' },
  10900: { text: 'Activity already replied to' },
  10903: { text: 'This user cant reply to this activity' },
  10904: { text: 'The page has messages disabled in the settings' },
  80001: { text: 'There have been too many calls to this Page account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.' },
  80002: { text: 'There have been too many calls to this Instagram account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.' },
  80006: { text: 'There have been too many messenger api calls to this Page account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.' },
};

// Subcodes whose user-facing text Graph words specifically; others get a generic title.
const SUBCODES: Readonly<Record<number, { text?: string; title: string; msg: string }>> = {
  2018001: { text: 'No matching user found', title: 'No Matching User', msg: 'No matching user found.' },
  2018008: { text: 'Failed to fetch the file from the url', title: 'Upload Failed', msg: 'Failed to fetch the file from the url.' },
  2018014: { text: 'Cannot send both message and state at the same time.', title: 'Invalid Request', msg: 'Cannot send both message and state at the same time.' },
  2018024: { title: 'Message Not Sent', msg: 'Temporary send message failure. Please try again later.' },
  2018047: { text: 'Upload attachment failure.', title: 'Upload Failed', msg: 'The attachment type does not match the uploaded file.' },
  2018065: { title: 'Message Not Sent', msg: 'This message is sent outside of allowed window.' },
  2018108: { title: 'Message Not Sent', msg: "This person can't receive messages right now." },
  2018109: { text: 'Attachment size exceeds allowable limit', title: 'Attachment Too Large', msg: 'The attachment is larger than 25 MB.' },
  2018278: { text: 'This message is sent outside of allowed window. Learn more about the new policy here: https://developers.facebook.com/docs/messenger-platform/policy-overview', title: 'Message Not Sent', msg: 'This message is sent outside of allowed window.' },
  1545041: { title: 'Message Not Sent', msg: "This person isn't available right now." },
  2534025: { text: 'The comment is invalid for a private reply', title: 'Invalid Comment', msg: 'The comment is invalid for a private reply.' },
};

/** The rate-limit family: these come with usage headers at 100%. */
export const RATE_LIMIT_CODES: ReadonlySet<number> = new Set([4, 17, 32, 341, 613, 80001, 80002, 80006]);

/** Graph's error fields for `code` (and `subcode`), with its real wording where known. */
export function graphErrorFields(code: number, subcode?: number): GraphErrorFields {
  const info: CodeInfo = CODES[code] ?? { text: 'An error occurred while processing this request' };
  const sub = subcode === undefined ? undefined : SUBCODES[subcode];
  const text = sub?.text ?? info.text;
  const fields: GraphErrorFields = {
    message: info.bare ? text : `(#${code}) ${text}`,
    type: 'OAuthException',
    code,
  };
  if (subcode !== undefined) {
    fields.error_subcode = subcode;
    fields.error_user_title = sub?.title ?? 'Message Not Sent';
    fields.error_user_msg = sub?.msg ?? text;
  }
  if (info.transient) fields.is_transient = true;
  return fields;
}

/** The HTTP status Graph answers an error code with: 500 for its own failures, else 400. */
export function errorStatus(code: number): number {
  return CODES[code]?.status ?? 400;
}

/** Graph's complete error answer for `code` (and `subcode`). */
export function graphError(code: number, subcode?: number): GraphErrorAnswer {
  return { status: errorStatus(code), body: envelope(graphErrorFields(code, subcode)) };
}
