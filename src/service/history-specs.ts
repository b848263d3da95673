import type { ConversationSummary, GetMessageRequest, HistoryMessage } from '../../gen/messenger/v1/history';
import type { Malformed } from '../graph/from-graph';
import { fromGraphConversationMessages, fromGraphConversations, fromGraphHistoryMessage, type GraphPage } from '../graph/from-graph-history';
import { ATTR } from '../telemetry/attribute-names';
import { checkPageId } from '../validate/validate-page-id';
import { ViolationList } from '../validate/violation-list';
import type { GraphCallSpec } from './graph-call-spec';

// The Conversations API's three Graph calls, as specs of the Graph-call core. The RPCs validate
// their requests first (validate-history.ts) and take the account's 2/s budget before each call
// (history-budget.ts); these are also what a backfill runs.

const MESSAGE_FIELDS = 'id,created_time,from,to,message,attachments,sticker,reply_to,reactions';
const CONVERSATION_FIELDS = 'id,participants,updated_time,message_count,unread_count';

/** One page of `GET /{page-id}/conversations`. */
export interface ConversationsCall {
  pageId: string;
  personId: string;
  limit: number;
  after: string;
}

/** One page of a conversation's messages. */
export interface MessagesCall {
  pageId: string;
  conversationId: string;
  limit: number;
  after: string;
}

function pageOnly(req: { pageId: string }, isPageConfigured: (pageId: string) => boolean): ReturnType<GraphCallSpec<unknown, unknown>['validate']> {
  const out = new ViolationList();
  checkPageId(out, 'page_id', req.pageId, isPageConfigured);
  return out.items;
}

// Reads: Graph serving one twice changes nothing. A retry is one more call Meta counts, so the
// core's retries (a timeout, a 5xx) are the only calls past the budget, and they are rare.
const READ = { rateClass: () => 'default' as const, safeToRetry: true };

export const listConversationsSpec: GraphCallSpec<ConversationsCall, GraphPage<ConversationSummary>> = {
  ...READ,
  method: 'ListConversations',
  pageOf: (req) => req.pageId,
  validate: pageOnly,
  request: (req, account) => ({
    method: 'GET',
    path: `/${req.pageId}/conversations`,
    query: {
      // An Instagram account's conversations are asked for on its node (the linked Page's, which
      // the Graph client puts in the path, or its own on the Instagram host) with platform=instagram.
      platform: account.platform,
      fields: CONVERSATION_FIELDS,
      limit: String(req.limit),
      ...(req.personId ? { user_id: req.personId } : {}),
      ...(req.after ? { after: req.after } : {}),
    },
  }),
  fromGraph: fromGraphConversations,
  attributes: (req) => ({ [ATTR.PAGE_ID]: req.pageId }),
};

export const listMessagesSpec: GraphCallSpec<MessagesCall, GraphPage<HistoryMessage> & { conversationId: string }> = {
  ...READ,
  method: 'ListMessages',
  pageOf: (req) => req.pageId,
  validate: pageOnly,
  request: (req) => ({
    method: 'GET',
    path: `/${req.conversationId}`,
    query: { fields: `messages.limit(${req.limit})${req.after ? `.after(${req.after})` : ''}{${MESSAGE_FIELDS}}` },
  }),
  fromGraph: fromGraphConversationMessages,
  attributes: (req) => ({ [ATTR.PAGE_ID]: req.pageId }),
};

export const getMessageSpec: GraphCallSpec<GetMessageRequest, HistoryMessage> = {
  ...READ,
  method: 'GetMessage',
  pageOf: (req) => req.pageId,
  validate: pageOnly,
  request: (req) => ({ method: 'GET', path: `/${req.messageId}`, query: { fields: MESSAGE_FIELDS } }),
  fromGraph: (body): HistoryMessage | Malformed => fromGraphHistoryMessage(body) ?? { malformed: 'no message id in the answer' },
  attributes: (req) => ({ [ATTR.PAGE_ID]: req.pageId }),
};

/** The message as the Page's side sees it: what the Page sent is an echo, as in the event stream. */
export function markEcho(pageId: string, m: HistoryMessage): HistoryMessage {
  if (m.message && m.senderId === pageId) m.message.isEcho = true;
  return m;
}
