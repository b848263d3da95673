import { status } from '@grpc/grpc-js';
import { ErrorReason } from '../../gen/messenger/v1/errors';
import { gatewayFailure, type Failure } from '../errors/failure';
import { MAX_GRAPH_CURSOR } from '../graph/from-graph-history';

// A history `page_token` wraps Meta's `after` cursor with what it was handed out for (the RPC,
// the Page, the conversation): a token of another Page or call is refused before Graph, so a
// caller cannot walk a foreign Page's history with a cursor it got elsewhere, and a forged one
// costs no call of the Page's 2/s budget. Meta's cursor itself stays opaque and is checked by Meta.

const VERSION = 'h1';
// Meta's cursors are base64 text; the token is not signed, so anything else inside one (a `)` or
// `{` that would reshape the field expansion it is put in) is refused.
const CURSOR = /^[A-Za-z0-9_=-]+$/;
const CONVERSATION = /^[A-Za-z0-9_.=:-]{0,512}$/;

/**
 * What ListMessages carries from page to page besides the cursor: the messages served so far and
 * Meta's `message_count` (0: unknown), which tell whether Instagram's 20-message limit cut the
 * conversation (instagram-history-limit.ts).
 */
export interface PagedSoFar {
  returned: number;
  messageCount: number;
}

const NONE: PagedSoFar = { returned: 0, messageCount: 0 };
const MAX_COUNT = 0x7fffffff;

/** The token handed to the caller for Meta's `after` cursor; '' when there is no next page. */
export function historyPageToken(kind: string, pageId: string, scope: string, after: string | undefined, conversation = '', soFar: PagedSoFar = NONE): string {
  if (after === undefined) return '';
  return Buffer.from(JSON.stringify([VERSION, kind, pageId, scope, after, conversation, soFar.returned, soFar.messageCount]), 'utf8').toString('base64url');
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= MAX_COUNT;

/**
 * Meta's cursor inside `token` ('' for the first page) and the conversation it pages (ListMessages
 * by person: found once, on the first page), or the failure for a token not handed out for this call.
 */
export function historyCursorOf(token: string, kind: string, pageId: string, scope: string): ({ after: string; conversation: string } & PagedSoFar) | Failure {
  if (token === '') return { after: '', conversation: '', ...NONE };
  let parts: unknown;
  try {
    parts = /^[A-Za-z0-9_-]+$/.test(token) ? JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) : undefined;
  } catch {
    parts = undefined;
  }
  if (
    Array.isArray(parts) && (parts.length === 6 || parts.length === 8) && typeof parts[5] === 'string' && parts[5].length <= 512 && parts[0] === VERSION && parts[1] === kind && parts[2] === pageId && parts[3] === scope &&
    typeof parts[4] === 'string' && CURSOR.test(parts[4]) && parts[4].length <= MAX_GRAPH_CURSOR && CONVERSATION.test(parts[5] as string)
  ) {
    // A token handed out before the counts were carried has six parts: nothing counted yet.
    if (parts.length === 6) return { after: parts[4], conversation: parts[5], ...NONE };
    if (isCount(parts[6]) && isCount(parts[7])) return { after: parts[4], conversation: parts[5], returned: parts[6], messageCount: parts[7] };
  }
  return invalidPageToken();
}

function invalidPageToken(): Failure {
  return gatewayFailure(status.INVALID_ARGUMENT, ErrorReason.INVALID_HISTORY_PAGE_TOKEN, 'page_token was not handed out by the gateway for this RPC, Page and conversation; start again with an empty page_token; nothing was sent');
}
