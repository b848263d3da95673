import { status, type handleUnaryCall } from '@grpc/grpc-js';
import { ErrorReason } from '../../gen/messenger/v1/errors';
import type {
  GetMessageRequest, GetMessageResponse, HistoryMessage, ListConversationsRequest, ListConversationsResponse, ListMessagesRequest, ListMessagesResponse,
} from '../../gen/messenger/v1/history';
import type { CallBounds } from '../call/bounds';
import type { CallBudget } from '../delivery/call-budget';
import { gatewayFailure, invalidRequest, type Failure } from '../errors/failure';
import { HISTORY_DEFAULT_PAGE_SIZE } from '../limits/graph-limits';
import type { FieldViolation } from '../validate/field-violation';
import { validateGetMessage, validateListConversations, validateListMessages } from '../validate/validate-history';
import { failed, type CallResult } from './call-result';
import { runGraphCall, storeUnavailable, type CallTrace } from './graph-call';
import type { GraphCallSpec } from './graph-call-spec';
import { takeConversationsCall } from './history-budget';
import { historyCursorOf, historyPageToken } from './history-page-token';
import { instagramHistoryLimited } from './instagram-history-limit';
import { getMessageSpec, listConversationsSpec, listMessagesSpec, markEcho } from './history-specs';
import { personIdRule } from './person-id';
import { unaryEdge } from './rpc-edge';
import type { ServiceDeps } from './service-deps';

/** What the history RPCs need beyond a send's: the account's Conversations API budget, shared by every replica. */
export interface HistoryDeps extends ServiceDeps {
  historyBudget: CallBudget;
}

/** One Graph call of the Conversations API: a call of the budget first (Graph is not called without one). */
export async function historyCall<Req, Res>(deps: HistoryDeps, spec: GraphCallSpec<Req, Res>, req: Req, bounds: CallBounds, trace: CallTrace): Promise<CallResult<Res>> {
  const refused = await takeConversationsCall(deps.historyBudget, spec.pageOf(req), bounds);
  if (refused) return failed(refused);
  return runGraphCall(deps, spec, req, '', bounds, trace);
}

export function conversationNotFound(pageId: string): Failure {
  return gatewayFailure(status.NOT_FOUND, ErrorReason.CONVERSATION_NOT_FOUND, `page ${pageId} has no conversation with this person (Graph's conversations list for user_id is empty)`);
}

/**
 * A Page's token also reads the conversations of the Instagram account linked to it (and the
 * reverse): read under the other account's id, Instagram's 20-message limit would go unsaid and a
 * caller granted one account would read the other's. A message of the account has it as sender
 * or recipient; one that has not is another account's.
 */
function ofOtherAccount(pageId: string, messages: readonly HistoryMessage[]): boolean {
  return messages.some((m) => m.senderId !== pageId && m.recipientId !== pageId);
}

function otherAccounts(pageId: string, what: string): Failure {
  return gatewayFailure(status.NOT_FOUND, ErrorReason.CONVERSATION_NOT_FOUND, `${what} is not of account ${pageId} (its messages are another account's, such as the Instagram account linked to the Page): read it with that account's id`);
}

/** The conversation of a Page with a person: its id and Meta's message count (0: not said), or the failure (one call of the budget). */
export async function conversationOf(deps: HistoryDeps, pageId: string, personId: string, bounds: CallBounds, trace: CallTrace): Promise<CallResult<{ id: string; messageCount: number }>> {
  const found = await historyCall(deps, listConversationsSpec, { pageId, personId, limit: 1, after: '' }, bounds, trace);
  if (!found.ok) return found;
  const first = found.response.items[0];
  return first ? { ...found, response: { id: first.id, messageCount: first.messageCount } } : failed(conversationNotFound(pageId));
}

function unaryHistory<Req extends { pageId: string }, Res extends object>(
  deps: HistoryDeps,
  name: string,
  validate: (req: Req) => FieldViolation[],
  run: (req: Req, bounds: CallBounds, trace: CallTrace) => Promise<CallResult<Res>>,
): handleUnaryCall<Req, Res> {
  return unaryEdge<Req, Res>(
    deps,
    { name, recover: (err, span) => storeUnavailable(deps, name, err, span) },
    (req) => req.pageId,
    async (call, bounds, span) => {
      const violations = validate(call.request);
      if (violations.length > 0) return failed(invalidRequest(`${name} request`, violations));
      return run(call.request, bounds, { span, parent: span });
    },
  );
}

const sizeOf = (n: number): number => (n > 0 ? n : HISTORY_DEFAULT_PAGE_SIZE);

export function listConversationsHandler(deps: HistoryDeps): handleUnaryCall<ListConversationsRequest, ListConversationsResponse> {
  const isPersonId = personIdRule(deps.sandbox);
  return unaryHistory(deps, 'ListConversations', (req) => validateListConversations(req, deps.pages.has, isPersonId), async (req, bounds, trace) => {
    const cursor = historyCursorOf(req.pageToken, 'conversations', req.pageId, req.personId);
    if ('code' in cursor) return failed(cursor);
    const result = await historyCall(deps, listConversationsSpec, { pageId: req.pageId, personId: req.personId, limit: sizeOf(req.pageSize), after: cursor.after }, bounds, trace);
    if (!result.ok) return result;
    return { ...result, response: { conversations: result.response.items, nextPageToken: historyPageToken('conversations', req.pageId, req.personId, result.response.after) } };
  });
}

export function listMessagesHandler(deps: HistoryDeps): handleUnaryCall<ListMessagesRequest, ListMessagesResponse> {
  const isPersonId = personIdRule(deps.sandbox);
  return unaryHistory(deps, 'ListMessages', (req) => validateListMessages(req, deps.pages.has, isPersonId), async (req, bounds, trace) => {
    const scope = req.conversationId || `person:${req.personId}`;
    const cursor = historyCursorOf(req.pageToken, 'messages', req.pageId, scope);
    if ('code' in cursor) return failed(cursor);
    let conversationId = req.conversationId || cursor.conversation;
    let messageCount = cursor.messageCount;
    if (conversationId === '') {
      const found = await conversationOf(deps, req.pageId, req.personId, bounds, trace);
      if (!found.ok) return found;
      conversationId = found.response.id;
      messageCount = found.response.messageCount;
    }
    const result = await historyCall(deps, listMessagesSpec, { pageId: req.pageId, conversationId, limit: sizeOf(req.pageSize), after: cursor.after }, bounds, trace);
    if (!result.ok) return result;
    const page = result.response;
    if (ofOtherAccount(req.pageId, page.items)) return failed(otherAccounts(req.pageId, `conversation ${conversationId}`));
    const returned = cursor.returned + page.items.length;
    const onInstagram = deps.pages.platformOf(req.pageId) === 'instagram';
    return {
      ...result,
      response: {
        messages: page.items.map((m) => markEcho(req.pageId, m)),
        nextPageToken: historyPageToken('messages', req.pageId, scope, page.after, conversationId, { returned, messageCount }),
        conversationId: page.conversationId || conversationId,
        historyLimited: onInstagram && instagramHistoryLimited(messageCount, returned, page.after !== undefined),
        messageCount,
      },
    };
  });
}

export function getMessageHandler(deps: HistoryDeps): handleUnaryCall<GetMessageRequest, GetMessageResponse> {
  return unaryHistory(deps, 'GetMessage', (req) => validateGetMessage(req, deps.pages.has), async (req, bounds, trace) => {
    const result = await historyCall(deps, getMessageSpec, req, bounds, trace);
    if (!result.ok) return result;
    if (ofOtherAccount(req.pageId, [result.response])) return failed(otherAccounts(req.pageId, `message ${req.messageId}`));
    return { ...result, response: { message: markEcho(req.pageId, result.response) } };
  });
}
