import type { Recipient } from '../../gen/messenger/v1/recipient';

const RECIPIENT_KINDS: Record<string, string> = {
  id: 'id', userRef: 'user_ref', postId: 'post_id', commentId: 'comment_id',
  notificationMessagesToken: 'notification_messages_token', oneTimeNotifToken: 'one_time_notif_token', phoneNumber: 'phone_number',
};

/** Graph's name of the recipient identifier kind (`id`, `user_ref`, ...), never its value. */
export function recipientKind(r: Recipient | undefined): string {
  return r?.identifier ? (RECIPIENT_KINDS[r.identifier.$case] ?? r.identifier.$case) : 'none';
}

/** The recipient's identifier, for spans only when the operator opted in. */
export function recipientValue(r: Recipient | undefined): string | undefined {
  const id = r?.identifier;
  if (!id) return undefined;
  return id.$case === 'phoneNumber' ? id.value.phoneNumber : id.value;
}
