import type { Recipient } from '../../gen/messenger/v1/recipient';
import { checkMaxChars, checkRequired } from './field-checks';
import type { ViolationList } from './violation-list';

/** The proto names of the `identifier` oneof cases, keyed by their ts-proto case. */
const IDENTIFIER_FIELDS = {
  id: 'id',
  userRef: 'user_ref',
  postId: 'post_id',
  commentId: 'comment_id',
  notificationMessagesToken: 'notification_messages_token',
  oneTimeNotifToken: 'one_time_notif_token',
  phoneNumber: 'phone_number',
} as const;

/** `recipient` must be set with exactly one non-empty identifier. */
export function checkRecipient(out: ViolationList, field: string, recipient: Recipient | undefined): void {
  if (recipient === undefined) {
    out.add(field, 'is required');
    return;
  }
  const identifier = recipient.identifier;
  if (identifier === undefined) {
    out.add(field, `must set one identifier: ${Object.values(IDENTIFIER_FIELDS).join(', ')}`);
    return;
  }
  const path = `${field}.${IDENTIFIER_FIELDS[identifier.$case]}`;
  if (identifier.$case === 'phoneNumber') {
    checkRequired(out, `${path}.phone_number`, identifier.value.phoneNumber);
    checkMaxChars(out, `${path}.phone_number`, identifier.value.phoneNumber, MAX_PHONE_NUMBER);
  } else {
    checkRequired(out, path, identifier.value);
    const isToken = identifier.$case === 'notificationMessagesToken' || identifier.$case === 'oneTimeNotifToken';
    checkMaxChars(out, path, identifier.value, isToken ? MAX_TOKEN : MAX_ID);
  }
}

// Bounds far above any real value (PSIDs and post or comment ids have tens of characters), so
// that a megabyte "id" is refused here instead of being sent to Graph.
const MAX_ID = 256;
const MAX_TOKEN = 1024;
const MAX_PHONE_NUMBER = 64;
