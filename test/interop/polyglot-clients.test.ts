import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_WEBHOOK } from '../../src/config/gateway-config';
import { customerWebhookBody, postWebhook, type CustomerAction } from '../../src/sandbox/customer-webhook';
import { DEMO_INSTAGRAM_LOGIN_ACCOUNT, DEMO_INSTAGRAM_PAGE_ACCOUNT } from '../../src/sandbox/demo-pages';
import { healthStatus, ROOT, spawnGateway, TSX, type GatewayProcess } from '../support/gateway-process';
import { otlpReceiver } from '../support/otlp-receiver';
import { waitFor } from '../support/wait-for';

// The Python, Go and TypeScript examples (examples/), generated from proto/ by
// examples/generate-clients.sh, called against a real gateway process in sandbox mode:
// the send examples, and the echo bots (StreamEvents consumers that reply with SendMessage).

const GOPATH_DIR = join(ROOT, 'examples/go/gopath');
const GO_BIN = join(GOPATH_DIR, 'bin/messenger-example');
const GO_ECHO_BIN = join(GOPATH_DIR, 'bin/echo-bot');
const PYTHON = '/usr/bin/python3';

/** What the examples need, and the Debian package that provides it. */
function missingPackages(): string[] {
  const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
  const gocode = (p: string) => existsSync(join('/usr/share/gocode/src', p));
  const checks: Array<[boolean, string]> = [
    [has('protoc'), 'protobuf-compiler'],
    [has('grpc_python_plugin'), 'protobuf-compiler-grpc'],
    [spawnSync(PYTHON, ['-c', 'import grpc']).status === 0, 'python3-grpcio'],
    [spawnSync(PYTHON, ['-c', 'import google.protobuf']).status === 0, 'python3-protobuf'],
    [has('go'), 'golang-go'],
    [has('protoc-gen-go'), 'protoc-gen-go'],
    [has('protoc-gen-go-grpc'), 'protoc-gen-go-grpc'],
    [gocode('google.golang.org/grpc'), 'golang-google-grpc-dev'],
    [gocode('google.golang.org/protobuf'), 'golang-google-protobuf-dev'],
    [gocode('github.com/golang/protobuf/proto'), 'golang-github-golang-protobuf-1-5-dev'],
    [gocode('google.golang.org/genproto/googleapis/rpc/errdetails'), 'golang-google-genproto-dev'],
  ];
  return checks.filter(([ok]) => !ok).map(([, pkg]) => pkg);
}

const missing = missingPackages();
const why = `interop tests need Debian packages: ${missing.join(' ')} (install: sudo bash .ci/install-polyglot.sh)`;
// On a developer machine without the toolchain: skip, and say what to install. In CI: run, and fail.
const skip = missing.length > 0 && !process.env.CI;
if (skip) console.warn(`SKIPPED: ${why}`);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const goEnv: NodeJS.ProcessEnv = {
  GO111MODULE: 'off',
  GOPATH: `${GOPATH_DIR}:/usr/share/gocode`,
  GOFLAGS: '',
  // go needs a build cache; CI may run without HOME.
  ...(process.env.HOME || process.env.GOCACHE ? {} : { GOCACHE: join(GOPATH_DIR, 'cache') }),
};

let gw: GatewayProcess;
let rx: Awaited<ReturnType<typeof otlpReceiver>>;

/** Each example, as a newcomer runs it (see examples/<lang>/README.md). */
const clients: Array<[string, (args: string[]) => Promise<Run>]> = [
  ['python', (args) => run(PYTHON, ['examples/python/send_message.py', ...args], { GATEWAY_TARGET: gw.target })],
  ['go', (args) => run(GO_BIN, args, { GATEWAY_TARGET: gw.target })],
  ['typescript', (args) => run(TSX, ['examples/typescript/send-message.ts', ...args], { GATEWAY_TARGET: gw.target })],
];

/** Each echo bot, as its README runs it. */
const echoBots: Array<[string, string[]]> = [
  ['python', [PYTHON, 'examples/python/echo_bot.py']],
  ['go', [GO_ECHO_BIN]],
  ['typescript', [TSX, 'examples/typescript/echo-bot.ts']],
];

async function runExample(lang: string, call: (args: string[]) => Promise<Run>, args: string[]): Promise<Run> {
  const r = await call(args);
  // Shown in the CI log: what each language's client printed.
  console.log(`[${lang}] send ${args.join(' ')} -> exit ${r.code}\n${r.stdout}${r.stderr}`);
  return r;
}

describe.skipIf(skip)('polyglot clients against the gateway (sandbox)', () => {
  beforeAll(async () => {
    if (missing.length > 0) throw new Error(why); // CI must run these tests
    // Spans go to a real OTLP receiver: the echo bots' replies must join the webhook's trace.
    rx = await otlpReceiver();
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_METRICS_EXPORTER: 'none', OTEL_BSP_SCHEDULE_DELAY: '100' };
    const [gateway, generated] = await Promise.all([
      spawnGateway([], otel),
      run('bash', ['examples/generate-clients.sh']),
    ]);
    gw = gateway;
    expect(generated.code, generated.stderr).toBe(0);
    const started = Date.now();
    const built = await run('go', ['build', '-o', GO_BIN, './examples/go'], goEnv, 240_000);
    console.log(`go build of examples/go: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(built.code, built.stderr).toBe(0);
    const builtEcho = await run('go', ['build', '-o', GO_ECHO_BIN, './examples/go/echo'], goEnv, 240_000);
    expect(builtEcho.code, builtEcho.stderr).toBe(0);
    expect(await healthStatus(gw.target)).toBe('SERVING');
  }, 300_000);

  afterAll(async () => {
    rx?.server.close();
    if (!gw) return;
    gw.child.kill('SIGTERM');
    await gw.exited;
  });

  describe.each(clients)('%s', (lang, call) => {
    it('sends a sender action and a text message', async () => {
      const r = await runExample(lang, call, ['--to', '1234567890', '--text', `Hello from ${lang}`]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^SendSenderAction ok: action=TYPING_ON recipient_id=1234567890$/m);
      expect(r.stdout).toMatch(/^SendMessage ok: recipient_id=1234567890 message_id=\S+$/m);
    });

    it('decodes Graph error 551: ErrorInfo, GraphError, no RetryInfo', async () => {
      const r = await runExample(lang, call, ['--to', 'error-551']);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/ failed: FAILED_PRECONDITION: Graph error 551: /);
      expect(r.stdout).toMatch(/^ {2}ErrorInfo: reason=RECIPIENT_UNAVAILABLE domain=graph\.facebook\.com code=551 error_subcode=0 fbtrace_id=\S+$/m);
      expect(r.stdout).toMatch(/^ {2}GraphError: code=551 \(GRAPH_ERROR_CODE_PERSON_UNAVAILABLE\) error_subcode=0 type=\S+ fbtrace_id=\S+$/m);
      expect(r.stdout).not.toMatch(/RetryInfo/);
    });

    it('decodes Graph error 613 with its RetryInfo delay', async () => {
      // Graph's 613 pauses the page it hit for estimated_time_to_regain_access: use a page of its own.
      const r = await runExample(lang, call, ['--to', 'error-613', '--page', String(6130 + clients.findIndex(([l]) => l === lang))]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/ failed: RESOURCE_EXHAUSTED: /);
      expect(r.stdout).toMatch(/^ {2}ErrorInfo: reason=RATE_LIMITED domain=graph\.facebook\.com code=613 /m);
      expect(r.stdout).toMatch(/^ {2}RetryInfo: retry after \d+s$/m);
    });

    it('decodes a validation failure: BadRequest field violations', async () => {
      const r = await runExample(lang, call, ['--to', '1234567890', '--text', '']);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^SendMessage failed: INVALID_ARGUMENT: /m);
      expect(r.stdout).toMatch(/^ {2}ErrorInfo: reason=INVALID_REQUEST domain=messenger-gateway/m);
      expect(r.stdout).toMatch(/^ {2}BadRequest: message\.text: \S/m);
    });
  });

  // The examples' service config retries UNAVAILABLE (Graph 1200 -> TEMPORARY_SEND_FAILURE)
  // up to 3 attempts. Debian's grpc-go 1.33 is left out: it made one attempt here, even
  // with GRPC_GO_RETRY=on (see examples/README.md).
  it.each(clients.filter(([lang]) => lang !== 'go'))('%s retries UNAVAILABLE 3 times', async (lang, call) => {
    const attempts = () => gw.stdout.filter((l) => l.includes('"graph_code":1200')).length;
    const before = attempts();
    const r = await runExample(lang, call, ['--to', 'error-1200']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ failed: UNAVAILABLE: /);
    expect(r.stdout).toMatch(/^ {2}RetryInfo: retry after 1s$/m);
    expect(attempts() - before).toBe(3);
  });

  describe.each(echoBots)('%s echo bot', (lang, command) => {
    const i = echoBots.findIndex(([l]) => l === lang);
    const group = `echo-test-${lang}`;

    it('replies to a message on the same page with the event\'s trace context, acks it, exits 0 after --max-events 1', async () => {
      const page = String(7100 + i);
      const psid = String(24681350 + i);
      const bot = await startBot(lang, command, ['--group', group, '--page', page, '--max-events', '1']);
      expect((await customerSays({ pageId: page, psid, text: `hi from ${lang}` })).status).toBe(200);
      const r = await bot.exited;
      expect(r.stderr).toMatch(new RegExp(`^echo bot on \\S+ as group ${group} for page\\(s\\) ${page}$`, 'm'));
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines).toHaveLength(1);
      const m = new RegExp(`^replied ev_[0-9a-f]{32} page=${page} to=${psid} text="echo: hi from ${lang}" message_id=(m_\\S+) trace_id=([0-9a-f]{32}) window_end=(\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z)$`).exec(lines[0]);
      expect(m, lines[0]).not.toBeNull();
      const [, messageId, traceId, windowEnd] = m!;
      // The event's window: 24 hours after the customer's message, which was just sent.
      expect(Math.abs(new Date(windowEnd!).getTime() - (Date.now() + 24 * 3_600_000))).toBeLessThan(10 * 60_000);

      // The gateway sent it to its sandbox Graph for that page, which answered with that message id
      // (the bot's `to=` is the recipient_id the sandbox answered for the request's recipient).
      // The gateway writes its lines a few ms apart (batched): wait for the send's.
      const sends = await waitFor(() => {
        const found = gatewayLog().filter((l) => l.msg === 'send' && l.method === 'SendMessage' && l.page === page);
        return found.length > 0 && found;
      }, { what: "the gateway's send line" });
      expect(sends).toEqual([expect.objectContaining({ grpc_code: 'OK', message_id: messageId })]);

      // The reply's server span is a child of the webhook's: the bot passed the traceparent on.
      const spans = await spansUntil((all) => all.some((s) => s.traceId === traceId && s.name === 'grpc.messenger.v1.MessengerService/SendMessage'));
      const webhook = spans.find((s) => s.traceId === traceId && s.name === 'POST /webhook');
      const reply = spans.find((s) => s.traceId === traceId && s.name === 'grpc.messenger.v1.MessengerService/SendMessage');
      expect(webhook).toBeDefined();
      expect(reply?.parentSpanId).toBe(webhook!.spanId);

      // The event was acked: the group's next consumer gets the next message, not that one again.
      const again = await startBot(lang, command, ['--group', group, '--page', page, '--once']);
      expect((await customerSays({ pageId: page, psid, text: 'again' })).status).toBe(200);
      const r2 = await again.exited;
      expect(r2.code, r2.stderr).toBe(0);
      expect(r2.stdout).toMatch(new RegExp(`^replied ev_[0-9a-f]{32} page=${page} to=${psid} text="echo: again" message_id=m_\\S+ trace_id=[0-9a-f]{32} window_end=\\S+\\n$`));
    }, 60_000);

    it('answers an Instagram customer with no change: page_id is the Instagram account, through its Page and through Instagram Login', async () => {
      const accounts = [DEMO_INSTAGRAM_PAGE_ACCOUNT, DEMO_INSTAGRAM_LOGIN_ACCOUNT];
      const igsid = String(6152382598180000 + i);
      const pageArgs = accounts.flatMap((a) => ['--page', a]);
      const bot = await startBot(lang, command, ['--group', `${group}-instagram`, ...pageArgs, '--max-events', '2']);
      for (const account of accounts) {
        const said = await customerSays({ pageId: account, psid: igsid, text: `hi on Instagram ${account}`, instagram: true });
        expect(said.status, said.text).toBe(200);
      }
      const r = await bot.exited;
      expect(r.code, r.stderr).toBe(0);
      for (const account of accounts) {
        const m = new RegExp(`^replied ev_[0-9a-f]{32} page=${account} to=${igsid} text="echo: hi on Instagram ${account}" message_id=(\\S+) trace_id=[0-9a-f]{32} window_end=\\S+$`, 'm').exec(r.stdout);
        expect(m, r.stdout).not.toBeNull();
        // The gateway sent it for that account (each way in its own host and token: test/instagram).
        const sent = await waitFor(() => {
          const found = gatewayLog().filter((l) => l.msg === 'send' && l.method === 'SendMessage' && l.message_id === m![1]);
          return found.length > 0 && found;
        }, { what: `the gateway's send line for ${account}` });
        expect(sent).toEqual([expect.objectContaining({ grpc_code: 'OK', page: account })]);
      }
    }, 60_000);

    it('answers quick replies and postbacks with their payload, acks a failed reply (551), nacks a rate-limited one with its RetryInfo delay', async () => {
      // 613 pauses the page it hits: give it a page of its own (--page is repeatable).
      const page = String(7200 + i);
      const limitedPage = String(7300 + i);
      // A group's pages are fixed when it is created: these pages get a group of their own.
      const bot = await startBot(lang, command, ['--group', `${group}-payloads`, '--page', page, '--page', limitedPage, '--max-events', '4']);
      const said = [
        await customerSays({ pageId: page, psid: '1001001', text: 'Yes', quickReplyPayload: 'YES_PAYLOAD' }),
        await customerSays({ pageId: page, psid: '1001002', postback: { title: 'Get started', payload: 'GET_STARTED' } }),
        await customerSays({ pageId: page, psid: 'error-551', text: 'hello' }),
        await customerSays({ pageId: limitedPage, psid: 'error-613', text: 'hello' }),
      ];
      expect(said.map((a) => a.status)).toEqual([200, 200, 200, 200]);
      const r = await bot.exited;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim().split('\n')).toHaveLength(4);
      expect(r.stdout).toMatch(new RegExp(`^replied ev_[0-9a-f]{32} page=${page} to=1001001 text="got YES_PAYLOAD" message_id=m_\\S+ trace_id=[0-9a-f]{32} window_end=\\S+$`, 'm'));
      expect(r.stdout).toMatch(new RegExp(`^replied ev_[0-9a-f]{32} page=${page} to=1001002 text="got GET_STARTED" message_id=m_\\S+ trace_id=[0-9a-f]{32} window_end=\\S+$`, 'm'));
      expect(r.stdout).toMatch(new RegExp(`^failed ev_[0-9a-f]{32} page=${page} to=error-551 FAILED_PRECONDITION "Graph error 551: [^"]+" reason=RECIPIENT_UNAVAILABLE graph_code=551 fbtrace_id=\\S+ -> acked$`, 'm'));
      expect(r.stdout).toMatch(new RegExp(`^failed ev_[0-9a-f]{32} page=${limitedPage} to=error-613 RESOURCE_EXHAUSTED "[^"]+" reason=RATE_LIMITED .*retry_delay=15s.* -> nacked, redelivery in 15s$`, 'm'));
    }, 60_000);
  });
});

/** The gateway's JSON log lines so far. */
function gatewayLog(): Array<Record<string, unknown>> {
  return gw.stdout.flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/** The customer writes to the Page: the signed webhook Meta would send, posted to the gateway's listener. */
function customerSays(action: CustomerAction): Promise<{ status: number; text: string }> {
  const webhook = gatewayLog().find((l) => l.msg === 'gateway ready')?.webhook as string;
  return postWebhook(webhook, SANDBOX_WEBHOOK.appSecret, customerWebhookBody(action));
}

/** The spans exported so far, once `ready` says they are all there (at most 10 s). */
async function spansUntil(ready: (spans: ReturnType<typeof rx.spans>) => boolean): Promise<ReturnType<typeof rx.spans>> {
  // Past the deadline, what there is: the caller's expects say what is missing.
  await waitFor(() => ready(rx.spans()), { what: 'the exported spans', timeoutMs: 10_000, intervalMs: 100 }).catch(() => undefined);
  return rx.spans();
}

/**
 * Starts an echo bot against the gateway and resolves once it has subscribed (its line on
 * stderr: the gateway answers the stream's headers when the subscription is live);
 * `exited` resolves with what it printed.
 */
async function startBot(lang: string, command: string[], args: string[]): Promise<{ exited: Promise<Run> }> {
  const child = spawn(command[0], [...command.slice(1), '--target', gw.target, '--stream-deadline', '30', ...args], { cwd: ROOT, env: { ...process.env, ...goEnv } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
  const subscribed = new Promise<void>((resolve) => {
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString('utf8');
      if (stderr.includes('echo bot on ')) resolve();
    });
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 45_000);
  const exited = new Promise<Run>((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(killer);
      // Shown in the CI log: what each language's bot printed.
      console.log(`[${lang}] echo bot ${args.join(' ')} -> exit ${code}\n${stdout}${stderr}`);
      resolve({ code: code ?? -1, stdout, stderr });
    }),
  );
  await Promise.race([subscribed, exited]);
  return { exited };
}
