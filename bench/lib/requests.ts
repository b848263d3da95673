import { MessagingType } from '../../gen/messenger/v1/enums';
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
  const msg = SendMessageRequest.encode(sendRequest()).finish();
  const frame = Buffer.alloc(5 + msg.length);
  frame.writeUInt32BE(msg.length, 1);
  Buffer.from(msg).copy(frame, 5);
  return frame;
}

/** The Graph Send API body the gateway builds for that request. */
export function graphBody(): object {
  return { recipient: { id: RECIPIENT }, messaging_type: 'RESPONSE', message: { text: TEXT } };
}
