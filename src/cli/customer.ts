import { request } from 'undici';
import { SANDBOX_INBOX_LISTEN, SANDBOX_WEBHOOK } from '../config/gateway-config';
import { customerWebhookBody, postWebhook, type CustomerAction } from '../sandbox/customer-webhook';
import { parseAgo } from '../sandbox/clock-offset';
import { EXIT } from './exit-codes';
import { parseFlags } from './parse-flags';
import { UsageError } from './usage-error';

export const CUSTOMER_USAGE = `Usage: npm run customer -- --page PAGE_ID --from PSID (--text TEXT [--quick-reply PAYLOAD] | --postback PAYLOAD [--title TITLE])
                          [--ago DURATION] [--webhook URL (http://127.0.0.1:8088/webhook)] [--app-secret SECRET] [--instagram] [--standby]
       npm run customer -- --history COUNT --page PAGE_ID --from PSID [--inbox URL (http://${SANDBOX_INBOX_LISTEN})]

Plays the customer: sends the webhook Meta would send for a person's message (or tapped quick
reply, or postback button), signed with the app secret (X-Hub-Signature-256), to the gateway's
webhook listener. In sandbox mode the listener runs at ${SANDBOX_WEBHOOK.listen} with the app secret
"${SANDBOX_WEBHOOK.appSecret}" (the defaults here); a StreamEvents consumer (npm run listen) gets the event.
The app secret can also come from GATEWAY_WEBHOOK_APP_SECRET.
--standby sends the item under "standby", as Meta does while another app (the Page Inbox) owns the
conversation; a postback then carries no payload. This command posts straight to the listener and
does not know who owns the conversation: the sandbox's customer API and the inbox do, and choose for you.
--ago DURATION dates the action that long ago (units m, h, d: 25h, 90m, 8d, 1d2h): the webhook
carries Meta's old timestamp, and the sandbox's messaging window runs from it. A RESPONSE then
meets the window as Meta applies it: open for 24 h after the person's latest action, HUMAN_AGENT
for 7 days, a UTILITY template at any time. Meta's window runs from the latest action, so use a
new --from (or the inbox's "age" control) to see a window close on a conversation with newer messages.
--history COUNT seeds the sandbox's Conversations API with COUNT past messages of this conversation
(the customer and the Page in turn, a minute apart, up to now), through the sandbox inbox's API; they
are not sent as webhooks: read them with npm run history, or backfill them into the event stream.

Exit codes:
  0  the listener stored the event (HTTP 200)
  1  the listener refused it (its HTTP status and answer on stderr)
  2  usage error: nothing was sent
  3  no listener answered at --webhook`;

/** `customer`: one signed webhook POST, as Meta would send it. Returns the exit code. */
export async function runCustomer(argv: string[]): Promise<number> {
  const values = parseFlags('customer', argv, {
    page: { type: 'string' }, from: { type: 'string' }, text: { type: 'string' }, 'quick-reply': { type: 'string' },
    postback: { type: 'string' }, title: { type: 'string' }, webhook: { type: 'string' }, 'app-secret': { type: 'string' },
    instagram: { type: 'boolean' }, standby: { type: 'boolean' }, ago: { type: 'string' }, history: { type: 'string' }, inbox: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(`${CUSTOMER_USAGE}\n`);
    return EXIT.OK;
  }
  if (!values.page || !/^\d{1,20}$/.test(values.page)) throw new UsageError('--page: a numeric Page id is required');
  if (!values.from) throw new UsageError("--from: the customer's PSID is required");
  if (values.history !== undefined) return seedHistory(values.page, values.from, values.history, values.inbox ?? `http://${SANDBOX_INBOX_LISTEN}`);
  if ((values.text === undefined) === (values.postback === undefined)) throw new UsageError('give one of --text or --postback');
  const agoMs = values.ago === undefined ? 0 : parseAgo(values.ago);
  if (typeof agoMs === 'string') throw new UsageError(`--ago: ${agoMs}`);
  const action: CustomerAction = values.postback !== undefined
    ? { pageId: values.page, psid: values.from, postback: { title: values.title ?? values.postback, payload: values.postback }, instagram: values.instagram, agoMs }
    : { pageId: values.page, psid: values.from, text: values.text, quickReplyPayload: values['quick-reply'], instagram: values.instagram, agoMs };
  const url = values.webhook ?? `http://${SANDBOX_WEBHOOK.listen}${SANDBOX_WEBHOOK.path}`;
  const secret = values['app-secret'] ?? process.env.GATEWAY_WEBHOOK_APP_SECRET ?? SANDBOX_WEBHOOK.appSecret;
  const body = customerWebhookBody(action, Date.now(), values.standby === true);
  let answer;
  try {
    answer = await postWebhook(url, secret, body);
  } catch (err) {
    process.stderr.write(`no webhook listener answered at ${url}: ${(err as Error).message}\n`);
    return EXIT.UNREACHABLE;
  }
  type Item = { timestamp: number; message?: { mid: string }; postback?: { mid: string } };
  const entry = (JSON.parse(body.toString('utf8')) as { entry: Array<{ messaging?: Item[]; standby?: Item[] }> }).entry[0];
  const mid = (entry.messaging ?? entry.standby)![0];
  if (answer.status !== 200) {
    process.stderr.write(`the webhook listener answered HTTP ${answer.status}: ${answer.text}\n`);
    return EXIT.CALL_FAILED;
  }
  process.stdout.write(`${JSON.stringify({ webhook: url, status: answer.status, mid: mid.message?.mid ?? mid.postback?.mid, ...(agoMs > 0 ? { timestamp: new Date(mid.timestamp).toISOString() } : {}) })}\n`);
  return EXIT.OK;
}

/** `--history COUNT`: the sandbox's Conversations API gets COUNT generated past messages (through the inbox's API). */
async function seedHistory(pageId: string, psid: string, countText: string, inbox: string): Promise<number> {
  const count = Number(countText);
  if (!Number.isInteger(count) || count < 1 || count > 10_000) throw new UsageError('--history: a number of messages from 1 to 10000');
  if (!/^\d{1,20}$/.test(psid)) throw new UsageError('--from: with --history, a numeric PSID');
  let answer;
  try {
    answer = await request(`${inbox.replace(/\/$/, '')}/api/history`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pageId, psid, count }) });
  } catch (err) {
    process.stderr.write(`no sandbox inbox answered at ${inbox}: ${(err as Error).message}\n`);
    return EXIT.UNREACHABLE;
  }
  const text = await answer.body.text();
  if (answer.statusCode !== 200) {
    process.stderr.write(`the sandbox answered HTTP ${answer.statusCode}: ${text}\n`);
    return EXIT.CALL_FAILED;
  }
  process.stdout.write(`${text}\n`);
  return EXIT.OK;
}
