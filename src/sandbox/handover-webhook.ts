import { escapeNonAscii, postWebhook } from './customer-webhook';

/** A `messaging_handovers` item's key: the move another app made. */
export type HandoverKey = 'pass_thread_control' | 'take_thread_control' | 'request_thread_control';

/**
 * The webhook Meta sends for a handover, in `messaging` as Meta does, e.g.
 * `{"sender":{"id":PSID},"recipient":{"id":PAGE},"timestamp":…,"pass_thread_control":{"previous_owner_app_id":…,"new_owner_app_id":…,"metadata":…}}`.
 */
export function handoverWebhookBody(pageId: string, psid: string, key: HandoverKey, event: Record<string, string>, now = Date.now()): Buffer {
  const item = { sender: { id: psid }, recipient: { id: pageId }, timestamp: now, [key]: event };
  const body = { object: 'page', entry: [{ id: pageId, time: now, messaging: [item] }] };
  return Buffer.from(escapeNonAscii(JSON.stringify(body)), 'utf8');
}

/** Signs and posts a handover webhook to the gateway's listener. */
export function postHandover(to: { webhookUrl: string; appSecret: string }, pageId: string, psid: string, key: HandoverKey, event: Record<string, string>): Promise<{ status: number; text: string }> {
  return postWebhook(to.webhookUrl, to.appSecret, handoverWebhookBody(pageId, psid, key, event));
}
