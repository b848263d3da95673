import type { Recipient } from '../../gen/messenger/v1/recipient';
import { checkRequired } from './field-checks';
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
  } else {
    checkRequired(out, path, identifier.value);
  }
}
