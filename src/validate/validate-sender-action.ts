import { SenderAction } from '../../gen/messenger/v1/enums';
import type { SendSenderActionRequest } from '../../gen/messenger/v1/service';
import type { FieldViolation } from './field-violation';
import { checkEnum, checkRequired, isNumericId, shown } from './field-checks';
import { checkPageId, type IsPageConfigured } from './validate-page-id';
import { checkRecipient } from './validate-recipient';
import { ViolationList } from './violation-list';

/** Every rule a SendSenderActionRequest breaks, before anything is sent to Graph; [] when valid. */
export function validateSenderAction(req: SendSenderActionRequest, isPageConfigured: IsPageConfigured): FieldViolation[] {
  const out = new ViolationList();
  checkPageId(out, 'page_id', req.pageId, isPageConfigured);
  checkRecipient(out, 'recipient', req.recipient);
  const actionKnown = checkEnum(out, 'action', SenderAction, req.action, true);
  if (req.personaId !== '' && !isNumericId(req.personaId)) {
    out.add('persona_id', `must be a numeric persona id (got "${shown(req.personaId)}")`);
  }
  // Rules keyed on the action would only add noise when the action itself is missing.
  if (actionKnown) checkActionFields(out, req);
  return out.items;
}

function checkActionFields(out: ViolationList, req: SendSenderActionRequest): void {
  const { action, payload } = req;
  if (action === SenderAction.SENDER_ACTION_REACT) {
    if (payload === undefined) {
      out.add('payload', 'is required when action is SENDER_ACTION_REACT');
    } else {
      checkRequired(out, 'payload.message_id', payload.messageId);
      checkRequired(out, 'payload.reaction', payload.reaction);
    }
  } else if (action === SenderAction.SENDER_ACTION_UNREACT) {
    if (payload === undefined) {
      out.add('payload', 'is required when action is SENDER_ACTION_UNREACT');
    } else {
      checkRequired(out, 'payload.message_id', payload.messageId);
      if (payload.reaction !== '') out.add('payload.reaction', 'must be unset when action is SENDER_ACTION_UNREACT');
    }
  } else if (payload !== undefined) {
    out.add('payload', 'must be unset unless action is SENDER_ACTION_REACT or SENDER_ACTION_UNREACT');
  }
  // Graph shows a persona only on typing indicators (and messages).
  const typing = action === SenderAction.SENDER_ACTION_TYPING_ON || action === SenderAction.SENDER_ACTION_TYPING_OFF;
  if (req.personaId !== '' && !typing) {
    out.add('persona_id', 'must be unset unless action is SENDER_ACTION_TYPING_ON or SENDER_ACTION_TYPING_OFF');
  }
}
