import { request } from 'undici';
import { SANDBOX_INBOX_LISTEN, SANDBOX_WEBHOOK } from '../config/gateway-config';
import { customerWebhookBody, postWebhook, sandboxStoryUrl, type CustomerAction } from '../sandbox/customer-webhook';
import { parseAgo } from '../sandbox/clock-offset';
import { DEMO_INSTAGRAM_LOGIN_ACCOUNT, DEMO_INSTAGRAM_PAGE_ACCOUNT } from '../sandbox/demo-pages';
import { EXIT } from './exit-codes';
import { parseFlags } from './parse-flags';
import { UsageError } from './usage-error';

export const CUSTOMER_USAGE = `Usage: npm run customer -- --page PAGE_ID --from PSID (--text TEXT [--quick-reply PAYLOAD] | --postback PAYLOAD [--title TITLE])
                          [--ago DURATION] [--webhook URL (http://127.0.0.1:8088/webhook)] [--app-secret SECRET] [--standby]
       npm run customer -- --instagram [--page IG_ACCOUNT_ID (${DEMO_INSTAGRAM_PAGE_ACCOUNT})] --from IGSID
                          (--text TEXT [--story-reply STORY_ID] | --story-mention | --share-post MEDIA_ID [--title CAPTION] | --unsend MID
                           | --postback PAYLOAD [--title TITLE]) [--story-url URL] [--ago DURATION] [--webhook URL] [--app-secret SECRET] [--standby]
       npm run customer -- --history COUNT (--page PAGE_ID | --instagram [--page IG_ACCOUNT_ID]) --from PSID [--inbox URL (http://${SANDBOX_INBOX_LISTEN})]

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
for 7 days, a UTILITY template at any time (Messenger only: on Instagram nothing after 7 days). Meta's window runs from the latest action, so use a
new --from (or the inbox's "age" control) to see a window close on a conversation with newer messages.
--history COUNT seeds the sandbox's Conversations API with COUNT past messages of this conversation
(the customer and the Page in turn, a minute apart, up to now), through the sandbox inbox's API; they
are not sent as webhooks: read them with npm run history, or backfill them into the event stream.

--instagram plays a person on Instagram (object "instagram"): --page is the Instagram account id
(default ${DEMO_INSTAGRAM_PAGE_ACCOUNT}, the sandbox's demo account reached through its linked Page 1001;
${DEMO_INSTAGRAM_LOGIN_ACCOUNT} is the one reached through Instagram Login) and --from the person's Instagram-scoped id.
What only Instagram sends:
  --story-reply STORY_ID  the text replies to the account's story (reply_to.story: its id and URL)
  --story-mention         the person mentioned the account in their story (a story_mention: its CDN URL)
  --share-post MEDIA_ID   the person shared a post (an ig_post attachment)
  --unsend MID            the person unsent their message MID (is_deleted): consumers must remove it
  --story-url URL         the story's media URL (default: one shaped as Meta's CDN gives it, that loads
                          nothing, as an expired story)
A reply to the person goes through the same SendMessage, with page_id the Instagram account id.

Exit codes:
  0  the listener stored the event (HTTP 200)
  1  the listener refused it (its HTTP status and answer on stderr)
  2  usage error: nothing was sent
  3  no listener answered at --webhook`;

const INSTAGRAM_ONLY = ['story-reply', 'story-mention', 'share-post', 'unsend', 'story-url'] as const;

/** `customer`: one signed webhook POST, as Meta would send it. Returns the exit code. */
export async function runCustomer(argv: string[]): Promise<number> {
  const values = parseFlags('customer', argv, {
    page: { type: 'string' }, from: { type: 'string' }, text: { type: 'string' }, 'quick-reply': { type: 'string' },
    postback: { type: 'string' }, title: { type: 'string' }, webhook: { type: 'string' }, 'app-secret': { type: 'string' },
    instagram: { type: 'boolean' }, standby: { type: 'boolean' }, ago: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    'story-reply': { type: 'string' }, 'story-mention': { type: 'boolean' }, 'share-post': { type: 'string' }, unsend: { type: 'string' }, 'story-url': { type: 'string' }, history: { type: 'string' }, inbox: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(`${CUSTOMER_USAGE}\n`);
    return EXIT.OK;
  }
  if (values.history !== undefined) {
    const page = values.page ?? (values.instagram === true ? DEMO_INSTAGRAM_PAGE_ACCOUNT : undefined);
    if (!page || !/^\d{1,20}$/.test(page)) throw new UsageError('--page: a numeric Page id is required');
    if (!values.from) throw new UsageError("--from: the customer's PSID is required");
    return seedHistory(page, values.from, values.history, values.inbox ?? `http://${SANDBOX_INBOX_LISTEN}`);
  }
  const instagram = values.instagram === true;
  if (!instagram) {
    const only = INSTAGRAM_ONLY.find((k) => values[k] !== undefined);
    if (only) throw new UsageError(`--${only}: only Instagram sends this (add --instagram)`);
  }
  const pageId = values.page ?? (instagram ? DEMO_INSTAGRAM_PAGE_ACCOUNT : undefined);
  if (!pageId || !/^\d{1,20}$/.test(pageId)) throw new UsageError(`--page: a numeric ${instagram ? 'Instagram account' : 'Page'} id is required`);
  if (!values.from) throw new UsageError(`--from: the customer's ${instagram ? 'Instagram-scoped id (IGSID)' : 'PSID'} is required`);
  const kinds = [values.text, values.postback, values['story-mention'], values['share-post'], values.unsend].filter((v) => v !== undefined);
  if (kinds.length !== 1) throw new UsageError(instagram ? 'give one of --text, --postback, --story-mention, --share-post or --unsend' : 'give one of --text or --postback');
  for (const k of ['unsend', 'share-post', 'story-reply'] as const) if (values[k] === '') throw new UsageError(`--${k}: an id is required`);
  if (values['story-reply'] !== undefined && values.text === undefined) throw new UsageError('--story-reply: the reply needs its --text');
  const storyUrl = values['story-url'];
  if (storyUrl !== undefined && !/^https?:\/\//.test(storyUrl)) throw new UsageError('--story-url: an http(s) URL');
  const agoMs = values.ago === undefined ? 0 : parseAgo(values.ago);
  if (typeof agoMs === 'string') throw new UsageError(`--ago: ${agoMs}`);
  const base = { pageId, psid: values.from, instagram, agoMs };
  let action: CustomerAction;
  if (values.postback !== undefined) action = { ...base, postback: { title: values.title ?? values.postback, payload: values.postback } };
  else if (values.unsend !== undefined) action = { ...base, unsendMid: values.unsend };
  else if (values['story-mention']) action = { ...base, storyMention: { url: storyUrl ?? sandboxStoryUrl(`mention-${Date.now()}`) } };
  else if (values['share-post'] !== undefined) {
    const mediaId = values['share-post'];
    action = { ...base, sharedPost: { mediaId, title: values.title ?? '', url: `https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=${encodeURIComponent(mediaId)}&signature=sandbox` } };
  } else {
    const story = values['story-reply'];
    action = { ...base, text: values.text, quickReplyPayload: values['quick-reply'], ...(story !== undefined ? { storyReply: { id: story, url: storyUrl ?? sandboxStoryUrl(story) } } : {}) };
  }
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
