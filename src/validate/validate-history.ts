import type { BackfillConversationRequest, BackfillPageRequest, BackfillStatusRequest, GetMessageRequest, ListConversationsRequest, ListMessagesRequest } from '../../gen/messenger/v1/history';
import { HISTORY_MAX_PAGE_SIZE } from '../limits/graph-limits';
import type { FieldViolation } from './field-violation';
import { shown } from './field-checks';
import type { IsPersonId } from './validate-conversation';
import { checkPageId, type IsPageConfigured } from './validate-page-id';
import { ViolationList } from './violation-list';

// Meta's ids (conversations `t_...`, messages `m_...`, Instagram's base64) are tens to a few
// hundred characters of these; a longer or other value is refused before it reaches a URL path.
const GRAPH_NODE_ID = /^[A-Za-z0-9_.=:-]{1,512}$/;
const MAX_PERSON_ID = 64;
/** The longest `page_token` the gateway hands out (Meta's cursor inside it is bounded too). */
export const MAX_HISTORY_PAGE_TOKEN = 1024;

function checkPerson(out: ViolationList, field: string, value: string, isPersonId: IsPersonId, required: boolean): void {
  if (value === '') {
    if (required) out.add(field, 'is required');
  } else if (value.length > MAX_PERSON_ID || !isPersonId(value)) out.add(field, `must be a numeric PSID or Instagram-scoped id (got "${shown(value)}")`);
}

function checkNode(out: ViolationList, field: string, value: string, what: string): void {
  if (value === '') out.add(field, 'is required');
  else if (!GRAPH_NODE_ID.test(value)) out.add(field, `must be a ${what} id (letters, digits, _ . = : -, at most 512) (got "${shown(value)}")`);
}

function checkPaging(out: ViolationList, pageSize: number, pageToken: string): void {
  if (pageSize < 0 || pageSize > HISTORY_MAX_PAGE_SIZE) out.add('page_size', `must be 0 (default) to ${HISTORY_MAX_PAGE_SIZE} (got ${pageSize})`);
  if (pageToken.length > MAX_HISTORY_PAGE_TOKEN) out.add('page_token', `must be at most ${MAX_HISTORY_PAGE_TOKEN} characters, as the gateway hands them out (got ${pageToken.length})`);
}

/** `since`: a time not after now (the Conversations API has no future). */
function checkSince(out: ViolationList, since: Date | undefined, nowMs: number): void {
  if (since === undefined) return;
  const ms = since.getTime();
  if (!Number.isFinite(ms) || ms < 0) out.add('since', 'must be a time after 1970-01-01');
  else if (ms > nowMs) out.add('since', `must not be in the future (got ${since.toISOString()})`);
}

export function validateListConversations(req: ListConversationsRequest, isPageConfigured: IsPageConfigured, isPersonId: IsPersonId): FieldViolation[] {
  const out = new ViolationList();
  checkPageId(out, 'page_id', req.pageId, isPageConfigured);
  checkPerson(out, 'person_id', req.personId, isPersonId, false);
  checkPaging(out, req.pageSize, req.pageToken);
  return out.items;
}

export function validateListMessages(req: ListMessagesRequest, isPageConfigured: IsPageConfigured, isPersonId: IsPersonId): FieldViolation[] {
  const out = new ViolationList();
  checkPageId(out, 'page_id', req.pageId, isPageConfigured);
  if ((req.conversationId === '') === (req.personId === '')) out.add('conversation_id', 'exactly one of conversation_id and person_id is required');
  else if (req.conversationId !== '') checkNode(out, 'conversation_id', req.conversationId, 'conversation');
  else checkPerson(out, 'person_id', req.personId, isPersonId, true);
  checkPaging(out, req.pageSize, req.pageToken);
  return out.items;
}

export function validateGetMessage(req: GetMessageRequest, isPageConfigured: IsPageConfigured): FieldViolation[] {
  const out = new ViolationList();
  checkPageId(out, 'page_id', req.pageId, isPageConfigured);
  checkNode(out, 'message_id', req.messageId, 'message');
  return out.items;
}

export function validateBackfillConversation(req: BackfillConversationRequest, isPageConfigured: IsPageConfigured, isPersonId: IsPersonId, nowMs: number): FieldViolation[] {
  const out = new ViolationList();
  checkPageId(out, 'page_id', req.pageId, isPageConfigured);
  checkPerson(out, 'person_id', req.personId, isPersonId, true);
  checkSince(out, req.since, nowMs);
  return out.items;
}

export function validateBackfillPage(req: BackfillPageRequest, isPageConfigured: IsPageConfigured, nowMs: number): FieldViolation[] {
  const out = new ViolationList();
  checkPageId(out, 'page_id', req.pageId, isPageConfigured);
  checkSince(out, req.since, nowMs);
  return out.items;
}

export function validateBackfillStatus(req: BackfillStatusRequest, isPageConfigured: IsPageConfigured): FieldViolation[] {
  const out = new ViolationList();
  checkPageId(out, 'page_id', req.pageId, isPageConfigured);
  if (req.backfillId === '') out.add('backfill_id', 'is required');
  else if (!/^bf_[0-9a-f]{1,64}$/.test(req.backfillId)) out.add('backfill_id', `must be an id BackfillConversation or BackfillPage answered (got "${shown(req.backfillId)}")`);
  return out.items;
}
