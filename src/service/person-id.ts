import { parseMagic } from '../sandbox/magic-recipients';
import { isNumericId } from '../validate/field-checks';
import type { IsPersonId } from '../validate/validate-conversation';
import { ATTR } from '../telemetry/attribute-names';

/**
 * What a person's id may be: Graph's ids are digits; on the sandbox its magic values
 * (`error-100-2018218`, `delay-500`, ...) pass too, so that every failure can be played
 * through the gateway as for sends.
 */
export function personIdRule(sandbox: boolean): IsPersonId {
  return sandbox ? (value) => isNumericId(value) || parseMagic(value) !== undefined : isNumericId;
}

/** The span attributes of a call about one person of one Page; the person's id only when the operator opted in. */
export function personAttributes(pageId: string, recipientId: string, recordRecipient: boolean): Record<string, string> {
  return {
    [ATTR.PAGE_ID]: pageId,
    [ATTR.RECIPIENT_KIND]: 'id',
    ...(recordRecipient ? { [ATTR.RECIPIENT_ID]: recipientId } : {}),
  };
}
