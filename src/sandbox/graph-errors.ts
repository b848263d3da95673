// Graph's error envelope, built from the gateway's Graph catalogue (src/errors/graph-catalogue.ts):
// the wording follows Graph's own messages (Send API reference, Messenger error codes) so that
// clients which match on text as well as on code behave as they would against the real thing.

import { randomInt } from 'node:crypto';
import { GRAPH_SUBCODES, graphCodeEntry } from '../errors/graph-catalogue';

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

/** Graph's error fields for `code` (and `subcode`), with its real wording where known. */
export function graphErrorFields(code: number, subcode?: number): GraphErrorFields {
  const info = graphCodeEntry(code) ?? { text: 'An error occurred while processing this request', bare: false, transient: false };
  const sub = subcode === undefined ? undefined : GRAPH_SUBCODES.get(subcode);
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
  return graphCodeEntry(code)?.httpStatus ?? 400;
}

/** Graph's complete error answer for `code` (and `subcode`). */
export function graphError(code: number, subcode?: number): GraphErrorAnswer {
  return { status: errorStatus(code), body: envelope(graphErrorFields(code, subcode)) };
}

/** Which of Meta's messaging products an account is: the window error differs. */
export type AccountKind = 'messenger' | 'instagram';

/**
 * Graph's refusal of a send outside the messaging window: `10/2018278` on Messenger,
 * `10/2534022` for an Instagram account (the one place that picks it).
 */
export function outsideWindowError(account: AccountKind): GraphErrorFields {
  return graphErrorFields(10, account === 'instagram' ? 2534022 : 2018278);
}

/**
 * Graph's refusal of a send by an app that does not own the conversation (another app, the Page
 * Inbox, Meta's AI agent holds it): `10/2018300` with Meta's wording. The gateway's Graph
 * catalogue does not list this subcode yet, so its wording lives here.
 */
export function notThreadOwnerError(): GraphErrorFields {
  const text = 'Message failed to send because another app is controlling this thread now.';
  return { message: `(#10) ${text}`, type: 'OAuthException', code: 10, error_subcode: 2018300, error_user_title: 'Message Not Sent', error_user_msg: text };
}
