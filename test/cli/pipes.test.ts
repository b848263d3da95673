import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killGateway, MAIN, NODE_TSX, ROOT, spawnGateway, type GatewayProcess } from '../support/gateway-process';

// The client commands in a pipe, as a shell runs them: through npm, with a reader that goes away.
// A sandbox gateway (its webhook listener on a free port, see test/vitest.config.mts) answers them.
let gw: GatewayProcess;
let webhook: string;
beforeAll(async () => {
  gw = await spawnGateway([]);
  const ready = gw.stdout.map((l) => JSON.parse(l) as { msg?: string; webhook?: string }).find((l) => l.msg === 'gateway ready');
  webhook = ready!.webhook!;
});
afterAll(() => killGateway(gw));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command; `closeStdout` closes the reading end of its stdout at once (`| head -c 0`). */
function run(cmd: string, args: string[], opts: { closeStdout?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve) => {
    // npm_* variables of an `npm test` around this run would look like npm running the command.
    const env = Object.fromEntries(Object.entries({ ...process.env, ...opts.env }).filter(([k]) => !k.startsWith('npm_')));
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    if (opts.closeStdout) child.stdout.destroy();
    else child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const node = (args: string[], opts?: { closeStdout?: boolean }) => run(NODE_TSX[0], [...NODE_TSX.slice(1), MAIN, ...args], opts);
const photo = join(ROOT, 'examples/requests/photo.png');
const jsonl = join(ROOT, 'examples/requests/messages.jsonl');

describe('a reader that closes the pipe at once is not an error: the outcome decides the exit code', () => {
  const commands: [string, () => string[]][] = [
    ['send', () => ['send', '--target', gw.target, '--page', '1001', '--to', '123', '--text', 'into a closed pipe']],
    ['upload', () => ['upload', '--target', gw.target, '--page', '1001', '--file', photo]],
    ['bulk', () => ['bulk', '--target', gw.target, '--jsonl', jsonl]],
    ['customer', () => ['customer', '--webhook', webhook, '--page', '1001', '--from', '24681357', '--text', 'into a closed pipe']],
  ];
  it.each(commands)('%s: exit 0, no EPIPE, no stack trace', async (_name, args) => {
    const r = await node(args(), { closeStdout: true });
    expect(r.stderr).not.toMatch(/EPIPE|Error|at /);
    expect(r.code, r.stderr).toBe(0);
  });

  it('send to a closed pipe still fails with the call: a Graph error is exit 1, its details on stderr', async () => {
    const r = await node(['send', '--target', gw.target, '--page', '1001', '--to', 'error-551', '--text', 'x'], { closeStdout: true });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stderr)).toMatchObject({ code: 'FAILED_PRECONDITION', errorInfo: { reason: 'RECIPIENT_UNAVAILABLE' } });
  });

  it('npm run -s send -- … into a closed pipe: exit 0, nothing on stderr', async () => {
    const r = await run('npm', ['run', '-s', 'send', '--', '--target', gw.target, '--page', '1001', '--to', '123', '--text', 'npm, closed pipe'], { closeStdout: true });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('listen stops when its reader goes away; the event it could not print is not acked and comes back', async () => {
    const group = `pipe-${process.pid}-${Date.now()}`;
    const listen = spawn(NODE_TSX[0], [...NODE_TSX.slice(1), MAIN, 'listen', '--target', gw.target, '--group', group], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => listen.once('exit', r));
    let stderr = '';
    const listening = new Promise<void>((resolve) => listen.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
      if (stderr.includes('listening on')) resolve();
    }));
    await listening;
    const firstLine = new Promise<string>((resolve) => listen.stdout.once('data', (b: Buffer) => resolve(b.toString())));
    const customer = (text: string) => node(['customer', '--webhook', webhook, '--page', '1001', '--from', '97531', '--text', text]);
    expect((await customer('first')).code).toBe(0);
    expect(await firstLine).toMatch(/"first"/);
    // `| head -1`: the reader has its line and goes; the next line cannot be written.
    listen.stdout.destroy();
    expect((await customer('second')).code).toBe(0);
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|Error/);
    // The same group, from where it was: the second event was never acked, so it is delivered again.
    const again = spawn(NODE_TSX[0], [...NODE_TSX.slice(1), MAIN, 'listen', '--target', gw.target, '--group', group], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const line = await new Promise<string>((resolve) => {
        let out = '';
        again.stdout.on('data', (b: Buffer) => {
          out += b.toString();
          if (out.includes('\n')) resolve(out);
        });
      });
      expect(line).toMatch(/"second"/);
      expect(line).not.toMatch(/"first"/);
    } finally {
      again.kill('SIGINT');
    }
  }, 30_000);
});

describe('through npm', () => {
  it('npm run -s send -- … | jq -r .messageId prints the message id', async () => {
    if (spawnSync('jq', ['--version']).error) throw new Error('jq is not installed: apt-get install jq (bash .ci/install-test-services.sh installs it)');
    const r = await run('sh', ['-c', `npm run -s send -- --target ${gw.target} --page 1001 --to 123 --text "via jq" | jq -r .messageId`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^m_[\w-]+$/);
  });

  it('npm run send -- … into a pipe: npm puts its banner on stdout, and the command says to use -s', async () => {
    const r = await run('npm', ['run', 'send', '--', '--target', gw.target, '--page', '1001', '--to', '123', '--text', 'banner']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\s*> messenger-grpc-gateway@[\d.]+ send/);
    expect(r.stderr).toMatch(/npm printed its "> messenger-grpc-gateway@[\d.]+ send" banner on stdout .* use npm run -s send -- …/);
  });

  it('npm run send --page … (no --): "did you forget `--`?", naming the flags npm took; exit 2', async () => {
    const r = await run('npm', ['run', '-s', 'send', '--page', '1001', '--to', '123', '--text', 'hi']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/send: unexpected argument "1001": every value follows its flag; did you forget `--`\? npm keeps the flags before it for itself \(it took --page, --text\): npm run send -- --page …/);
  });

  it('npm run listen --group g1 (no --): the same hint', async () => {
    const r = await run('npm', ['run', '-s', 'listen', '--group', 'g1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/did you forget `--`\? npm keeps the flags before it for itself \(it took --group\): npm run listen -- --group …/);
  });
});
