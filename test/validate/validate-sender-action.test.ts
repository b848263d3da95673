import { describe, expect, it } from 'vitest';
import { SenderAction } from '../../gen/messenger/v1/enums';
import type { SendSenderActionRequest } from '../../gen/messenger/v1/service';
import { validateSenderAction } from '../../src/validate/validate-sender-action';
import { isPageConfigured, sendSenderAction, unknownEnum, VALID_SENDER_ACTIONS } from './requests';

const validate = (req: SendSenderActionRequest) => validateSenderAction(req, isPageConfigured);
const { REACT, UNREACT, MARK_SEEN, TYPING_ON } = {
  REACT: SenderAction.SENDER_ACTION_REACT,
  UNREACT: SenderAction.SENDER_ACTION_UNREACT,
  MARK_SEEN: SenderAction.SENDER_ACTION_MARK_SEEN,
  TYPING_ON: SenderAction.SENDER_ACTION_TYPING_ON,
};

describe('validateSenderAction accepts', () => {
  it.each(Object.entries(VALID_SENDER_ACTIONS))('%s', (_name, req) => {
    expect(validate(req)).toEqual([]);
  });
});

describe('validateSenderAction refuses', () => {
  const cases: [string, SendSenderActionRequest, string, string | RegExp][] = [
    ['page_id missing', sendSenderAction({ pageId: '', action: MARK_SEEN }), 'page_id', 'is required'],
    ['page_id unknown', sendSenderAction({ pageId: '999', action: MARK_SEEN }), 'page_id', 'page 999 is not configured in this gateway'],
    ['recipient missing', sendSenderAction({ recipient: undefined, action: MARK_SEEN }), 'recipient', 'is required'],
    ['recipient comment_id empty', sendSenderAction({ recipient: { identifier: { $case: 'commentId', value: '' } }, action: MARK_SEEN }), 'recipient.comment_id', 'is required'],
    ['action unset', sendSenderAction({}), 'action', 'is required'],
    ['action unrecognized', sendSenderAction({ action: SenderAction.UNRECOGNIZED }), 'action', 'must be a known value (got -1)'],
    ['action out of range', sendSenderAction({ action: unknownEnum(6) }), 'action', 'must be a known value (got 6)'],
    ['react without payload', sendSenderAction({ action: REACT }), 'payload', 'is required when action is SENDER_ACTION_REACT'],
    ['react without message_id', sendSenderAction({ action: REACT, payload: { reaction: '😊' } }), 'payload.message_id', 'is required'],
    ['react without reaction', sendSenderAction({ action: REACT, payload: { messageId: 'm_1' } }), 'payload.reaction', 'is required'],
    ['unreact without payload', sendSenderAction({ action: UNREACT }), 'payload', 'is required when action is SENDER_ACTION_UNREACT'],
    ['unreact without message_id', sendSenderAction({ action: UNREACT, payload: {} }), 'payload.message_id', 'is required'],
    ['unreact with reaction', sendSenderAction({ action: UNREACT, payload: { messageId: 'm_1', reaction: '😊' } }), 'payload.reaction', 'must be unset when action is SENDER_ACTION_UNREACT'],
    ['mark_seen with payload', sendSenderAction({ action: MARK_SEEN, payload: { messageId: 'm_1' } }), 'payload', /must be unset unless action is SENDER_ACTION_REACT/],
    ['persona on mark_seen', sendSenderAction({ action: MARK_SEEN, personaId: '5' }), 'persona_id', /SENDER_ACTION_TYPING_ON or SENDER_ACTION_TYPING_OFF/],
    ['persona not numeric', sendSenderAction({ action: TYPING_ON, personaId: 'bob' }), 'persona_id', /numeric/],
  ];
  it.each(cases)('%s', (_name, req, field, description) => {
    const violations = validate(req);
    expect(violations).toHaveLength(1);
    expect(violations[0].field).toBe(field);
    if (typeof description === 'string') expect(violations[0].description).toBe(description);
    else expect(violations[0].description).toMatch(description);
  });

  it('lists every violation of a bad request', () => {
    const req = sendSenderAction({ pageId: '', recipient: {}, action: REACT, payload: {}, personaId: 'x' });
    expect(validate(req).map((v) => v.field)).toEqual(['page_id', 'recipient', 'persona_id', 'payload.message_id', 'payload.reaction', 'persona_id']);
  });
});
