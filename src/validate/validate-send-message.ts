import { MessageTag, MessagingType, NotificationType } from '../../gen/messenger/v1/enums';
import type { SendMessageRequest } from '../../gen/messenger/v1/service';
import type { FieldViolation } from './field-violation';
import { checkEnum, isNumericId, shown } from './field-checks';
import { checkMessage } from './validate-message';
import { checkPageId, type IsPageConfigured } from './validate-page-id';
import { checkRecipient } from './validate-recipient';
import { checkThreadControl } from './validate-thread-control';
import { ViolationList } from './violation-list';

// Graph answers these with error 100 since 2026-04-27 (Send API reference).
const DEPRECATED_TAGS: ReadonlySet<MessageTag> = new Set([
  MessageTag.MESSAGE_TAG_ACCOUNT_UPDATE,
  MessageTag.MESSAGE_TAG_CONFIRMED_EVENT_UPDATE,
  MessageTag.MESSAGE_TAG_POST_PURCHASE_UPDATE,
]);

/** The violation of an unset messaging_type, naming the four values. */
export const MESSAGING_TYPE_REQUIRED = 'is required: one of MESSAGING_TYPE_RESPONSE (a reply inside the 24-hour window), ' +
  'MESSAGING_TYPE_UPDATE (proactive, inside the window), MESSAGING_TYPE_MESSAGE_TAG (with tag, outside the window), ' +
  'MESSAGING_TYPE_UTILITY (with message.template)';

/** Every rule a SendMessageRequest breaks, before anything is sent to Graph; [] when valid. */
export function validateSendMessage(req: SendMessageRequest, isPageConfigured: IsPageConfigured): FieldViolation[] {
  const out = new ViolationList();
  checkPageId(out, 'page_id', req.pageId, isPageConfigured);
  checkRecipient(out, 'recipient', req.recipient);
  if (req.message === undefined) out.add('message', 'is required');
  else checkMessage(out, 'message', req.message);
  checkEnum(out, 'notification_type', NotificationType, req.notificationType, false);
  checkTypeAndTag(out, req);
  if (req.personaId !== '' && !isNumericId(req.personaId)) {
    out.add('persona_id', `must be a numeric persona id (got "${shown(req.personaId)}")`);
  }
  if (/\s/.test(req.replyTo)) out.add('reply_to', 'must be a message id, without whitespace');
  if (req.threadControl !== undefined) checkThreadControl(out, 'thread_control', req.threadControl);
  return out.items;
}

/** The rules that tie messaging_type, tag and the kind of content together. */
function checkTypeAndTag(out: ViolationList, req: SendMessageRequest): void {
  const typeKnown = checkEnum(out, 'messaging_type', MessagingType, req.messagingType, false);
  // Meta documents messaging_type as required: an unset one is refused, never silently omitted.
  if (req.messagingType === MessagingType.MESSAGING_TYPE_UNSPECIFIED) out.add('messaging_type', MESSAGING_TYPE_REQUIRED);
  const tagSet = checkEnum(out, 'tag', MessageTag, req.tag, false);
  const content = req.message?.content;
  const isUtilityTemplate = content?.$case === 'template';
  const type = req.messagingType;

  if (tagSet && DEPRECATED_TAGS.has(req.tag)) {
    out.add('tag', `${MessageTag[req.tag]} is deprecated: Graph rejects it with error 100 since 2026-04-27; ` +
      'send a utility message (MESSAGING_TYPE_UTILITY with message.template) instead');
  }
  if (tagSet && req.tag === MessageTag.MESSAGE_TAG_CUSTOMER_FEEDBACK) {
    const isFeedback = content?.$case === 'attachment' && content.value.kind?.$case === 'template' &&
      content.value.kind.value.kind?.$case === 'customerFeedback';
    if (!isFeedback) out.add('tag', 'MESSAGE_TAG_CUSTOMER_FEEDBACK is allowed only with a customer_feedback template');
  }
  // An unknown messaging_type is already reported; rules keyed on it would only add noise.
  if (!typeKnown) return;
  if (type === MessagingType.MESSAGING_TYPE_MESSAGE_TAG) {
    if (req.tag === MessageTag.MESSAGE_TAG_UNSPECIFIED) {
      out.add('tag', 'is required when messaging_type is MESSAGING_TYPE_MESSAGE_TAG');
    }
  } else if (tagSet) {
    out.add('tag', 'must be unset unless messaging_type is MESSAGING_TYPE_MESSAGE_TAG');
  }
  if (type === MessagingType.MESSAGING_TYPE_UTILITY) {
    if (req.message !== undefined && !isUtilityTemplate) {
      out.add('message.template', 'is required when messaging_type is MESSAGING_TYPE_UTILITY');
    }
  } else if (isUtilityTemplate) {
    out.add('message.template', 'must be unset unless messaging_type is MESSAGING_TYPE_UTILITY');
  }
}
