import { credentials, Metadata } from '@grpc/grpc-js';
import { MessengerServiceClient, SendMessageRequest, type SendMessagesRequest, type SendMessagesResponse } from '../../gen/messenger/v1/service';
import { EXIT, EXIT_CODES_HELP } from './exit-codes';
import { parseFlags } from './parse-flags';
import { parseJsonInput } from './parse-json-input';
import { readInputText } from './read-input-text';
import { callErrorReport, exitCodeOf, isServiceError, statusReport } from './report-call-error';
import { UsageError } from './usage-error';

export const BULK_USAGE = `Usage: npm run bulk -- --jsonl FILE|- [--target HOST:PORT] [--timeout-ms MS (no deadline)]

Sends every line of FILE (- reads stdin), one SendMessageRequest in proto JSON per line, over one
SendMessages stream; each message's request_id is its line number (blank lines are skipped). Every line
is parsed before anything is sent. Failed messages are printed on stderr as they come back, one JSON
line each ({"line": N, "code": …, "errorInfo": …}); progress goes to stderr every 2 s; the summary is
printed on stdout: {"messages", "sent", "failed", "failedByReason", "notAnswered", "seconds"}.
Exit code 0 only when every message was sent. A sample: examples/requests/messages.jsonl (and one
request of each kind in examples/requests/*.json). In a pipe, npm run -s bulk -- … keeps npm's banner off stdout.

${EXIT_CODES_HELP}`;

const PROGRESS_EVERY_MS = 2_000;

/** The summary printed at the end of a bulk run. */
export interface BulkSummary {
  messages: number;
  sent: number;
  failed: number;
  /** ErrorInfo reason (or the gRPC code when there is none) → number of messages. */
  failedByReason: Record<string, number>;
  /** Messages with no result because the stream ended early. */
  notAnswered: number;
  seconds: number;
}

/** `bulk`: a JSONL file of SendMessageRequests over one SendMessages stream. Returns the exit code. */
export async function runBulk(argv: string[]): Promise<number> {
  const values = parseFlags('bulk', argv, { jsonl: { type: 'string' }, target: { type: 'string' }, 'timeout-ms': { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    process.stdout.write(`${BULK_USAGE}\n`);
    return EXIT.OK;
  }
  if (!values.jsonl) throw new UsageError('bulk needs --jsonl FILE (or - for stdin)');
  const timeoutMs = values['timeout-ms'] === undefined ? undefined : Number(values['timeout-ms']);
  if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || timeoutMs <= 0)) throw new UsageError(`--timeout-ms must be a positive integer (got ${values['timeout-ms']})`);
  const requests = parseLines(await readInputText(values.jsonl), values.jsonl);
  const target = values.target ?? process.env.GATEWAY_TARGET ?? '127.0.0.1:50051';

  const started = Date.now();
  const summary: BulkSummary = { messages: requests.length, sent: 0, failed: 0, failedByReason: {}, notAnswered: requests.length, seconds: 0 };
  const client = new MessengerServiceClient(target, credentials.createInsecure());
  const progress = setInterval(() => {
    const answered = summary.sent + summary.failed;
    const rate = Math.round(answered / ((Date.now() - started) / 1000));
    process.stderr.write(`bulk: ${answered}/${summary.messages} answered (${summary.sent} sent, ${summary.failed} failed), ${rate}/s\n`);
  }, PROGRESS_EVERY_MS);
  let exit: number = EXIT.OK;
  try {
    await new Promise<void>((resolve, reject) => {
      const call = client.sendMessages(new Metadata(), timeoutMs === undefined ? {} : { deadline: Date.now() + timeoutMs });
      call.on('data', (r: SendMessagesResponse) => {
        summary.notAnswered--;
        if (r.result?.$case === 'error') {
          summary.failed++;
          const report = statusReport(r.result.value);
          const reason = report.errorInfo?.reason || report.code;
          summary.failedByReason[reason] = (summary.failedByReason[reason] ?? 0) + 1;
          process.stderr.write(`${JSON.stringify({ line: Number(r.requestId), ...report })}\n`);
        } else summary.sent++;
      });
      call.once('error', reject);
      call.once('end', resolve);
      void (async () => {
        for (const req of requests) {
          if (!call.write(req)) await new Promise((r) => call.once('drain', r));
        }
        call.end();
      })();
    });
  } catch (err) {
    if (!isServiceError(err)) throw err;
    process.stderr.write(`${JSON.stringify({ stream: callErrorReport(err, target) }, null, 2)}\n`);
    exit = exitCodeOf(err);
  } finally {
    clearInterval(progress);
    client.close();
  }
  summary.seconds = (Date.now() - started) / 1000;
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  if (exit !== EXIT.OK) return exit;
  return summary.failed > 0 || summary.notAnswered > 0 ? EXIT.CALL_FAILED : EXIT.OK;
}

/** One SendMessagesRequest per non-blank line; request_id is the line number. A bad line is a usage error. */
function parseLines(text: string, file: string): SendMessagesRequest[] {
  const out: SendMessagesRequest[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const json = parseJsonInput(lines[i], file, i + 1);
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UsageError(`${file}: line ${i + 1}: must be a JSON object (a SendMessageRequest)`);
    out.push({ requestId: String(i + 1), message: SendMessageRequest.fromJSON(json) });
  }
  if (out.length === 0) throw new UsageError(`${file}: no messages (one SendMessageRequest JSON per line)`);
  return out;
}
