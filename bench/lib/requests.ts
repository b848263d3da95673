import { MessagingType } from '../../gen/messenger/v1/enums';
import { GetUserProfileRequest, PassThreadControlRequest } from '../../gen/messenger/v1/conversation';
import { ListPersonasRequest } from '../../gen/messenger/v1/page';
import { SendMessageRequest } from '../../gen/messenger/v1/service';

export const PAGE_ID = '1001';
export const TOKEN = 'bench-token';
export const RECIPIENT = '1254477777772919';
export const TEXT = 'hello from the benchmark';
export const GRAPH_VERSION = 'v25.0';

/** The one request every run sends. */
export function sendRequest(): SendMessageRequest {
  return SendMessageRequest.fromPartial({
    pageId: PAGE_ID,
    recipient: { identifier: { $case: 'id', value: RECIPIENT } },
    message: { content: { $case: 'text', value: TEXT } },
    messagingType: MessagingType.MESSAGING_TYPE_RESPONSE,
  });
}

/** A gRPC length-prefixed message (flag byte, 4-byte big-endian length, bytes): what h2load sends as the body. */
export function grpcFrame(): Buffer {
  return frameOf(SendMessageRequest.encode(sendRequest()).finish());
}

/** The Graph Send API body the gateway builds for that request. */
export function graphBody(): object {
  return { recipient: { id: RECIPIENT }, messaging_type: 'RESPONSE', message: { text: TEXT } };
}

/** A gRPC length-prefixed message of encoded bytes. */
function frameOf(msg: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + msg.length);
  frame.writeUInt32BE(msg.length, 1);
  Buffer.from(msg).copy(frame, 5);
  return frame;
}

/** The Page's app that takes a passed conversation: the Page Inbox. */
const PAGE_INBOX_APP_ID = '263902037430900';
/**
 * The person whose conversation PassThreadControl passes: not the sends' recipient, whose
 * conversation would then belong to another app (the conversation policy refuses sends to it).
 */
const PASSED_RECIPIENT = '1254477777770001';

/**
 * The platform RPCs measured beside a send (routing, user profiles, personas): each one Graph call
 * the fake Graph answers at once, as a send is (the bench's config turns the user-profile cache
 * off, so that each GetUserProfile calls Graph). The Messenger Profile is left out: its budget is
 * Meta's 10 calls per 10 minutes per Page, which the gateway enforces.
 */
export const PLATFORM_CALLS = [
  { name: 'PassThreadControl', path: '/messenger.v1.ConversationService/PassThreadControl', frame: () => frameOf(PassThreadControlRequest.encode(PassThreadControlRequest.fromPartial({ pageId: PAGE_ID, recipientId: PASSED_RECIPIENT, targetAppId: PAGE_INBOX_APP_ID })).finish()) },
  { name: 'GetUserProfile', path: '/messenger.v1.ConversationService/GetUserProfile', frame: () => frameOf(GetUserProfileRequest.encode(GetUserProfileRequest.fromPartial({ pageId: PAGE_ID, recipientId: RECIPIENT })).finish()) },
  { name: 'ListPersonas', path: '/messenger.v1.PageService/ListPersonas', frame: () => frameOf(ListPersonasRequest.encode(ListPersonasRequest.fromPartial({ pageId: PAGE_ID })).finish()) },
] as const;
