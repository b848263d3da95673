import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const PROTO_DIR = join(__dirname, '../../proto/messenger/v1');
const protoText = readdirSync(PROTO_DIR).map((f) => readFileSync(join(PROTO_DIR, f), 'utf8')).join('\n');

// Every parameter, enum value, return field and error code of the seed page
// (shared/seed/page-messages-endpoint.txt), as words that must appear in proto/.
const SEED_WORDS = [
  'message', 'messaging_type', 'notification_type', 'payload', 'persona_id', 'recipient', 'reply_to', 'sender_action', 'tag', 'thread_control',
  'RESPONSE', 'UPDATE', 'MESSAGE_TAG', 'UTILITY', 'REGULAR', 'SILENT_PUSH', 'NO_PUSH',
  'MARK_SEEN', 'TYPING_ON', 'TYPING_OFF', 'REACT', 'UNREACT',
  'thread_key', 'recipient_id', 'message_id', 'attachment_id', 'gchat_space_name',
  '551', '100', '2022', '613', '10903', '368', '190', '10900', '200', '10904',
];

describe('the seed is covered by proto/', () => {
  it.each(SEED_WORDS)('%s', (word) => {
    expect(new RegExp(`\\b${word}\\b`).test(protoText)).toBe(true);
  });

  // When the seed file is beside the repository (as in CI), its error table is checked too.
  const seed = join(__dirname, '../../../shared/seed/page-messages-endpoint.txt');
  it('every error code of the seed file is a GraphErrorCode value', (ctx) => {
    if (!existsSync(seed)) {
      const why = 'skipped: Meta\'s error table of the Page messages endpoint is not beside this checkout. Nothing to do: the codes above are checked against proto/ anyway; to check the table too, save it as ../shared/seed/page-messages-endpoint.txt, beside the repository\'s folder';
      console.info(why);
      ctx.skip(why);
    }
    const codes = [...readFileSync(seed, 'utf8').matchAll(/^\| (\d+) \|/gm)].map((m) => m[1]);
    expect(codes.length).toBeGreaterThanOrEqual(10);
    for (const code of new Set(codes)) expect(protoText).toMatch(new RegExp(`GRAPH_ERROR_CODE_\\w+ = ${code};`));
  });
});
