import type { PassThreadControlRequest, RequestThreadControlRequest, TakeThreadControlRequest } from '../../gen/messenger/v1/conversation';

/**
 * `target_app_id` as Meta documents it, a JSON number (what SDKs such as messaging-api-messenger
 * send); an id past 2^53 could not be one without losing digits, so it goes as its string, which
 * Graph also reads as an id.
 */
function appId(id: string): number | string {
  const n = Number(id);
  return Number.isSafeInteger(n) ? n : id;
}

/** `POST /{page-id}/pass_thread_control`'s body; `metadata` only when set, as Graph's default is none. */
export function toGraphPassThreadControlBody(req: PassThreadControlRequest): Record<string, unknown> {
  return { recipient: { id: req.recipientId }, target_app_id: appId(req.targetAppId), ...(req.metadata ? { metadata: req.metadata } : {}) };
}

/** `POST /{page-id}/take_thread_control` and `request_thread_control`'s body. */
export function toGraphThreadControlBody(req: TakeThreadControlRequest | RequestThreadControlRequest): Record<string, unknown> {
  return { recipient: { id: req.recipientId }, ...(req.metadata ? { metadata: req.metadata } : {}) };
}
