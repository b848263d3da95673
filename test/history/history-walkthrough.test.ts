import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killGateway, ROOT, spawnGateway, type GatewayProcess } from '../support/gateway-process';
import { waitFor } from '../support/wait-for';

// The "done when", as a newcomer sees it: the commands of docs/conversations.md's
// walkthrough ("A bot started after a long conversation"), run as they are written, each its own
// process, against the gateway `npm start` runs on its sandbox (from src/, as the other doc tests
// do). The only additions are the addresses: tests run side by side, so the sandbox's webhook and
// inbox take free ports (test/vitest.config.mts) and each command is told where they are.
const DOC = join(ROOT, 'docs/conversations.md');

/** The `npm …` lines of the walkthrough's first sh block, comments dropped. */
function walkthrough(): string[] {
  const text = readFileSync(DOC, 'utf8');
  const section = text.slice(text.indexOf('### A bot started after a long conversation'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  return block.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('npm '));
}

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Runs one documented line with sh, in its own process group (so that it and npm's child can be stopped together). */
function sh(line: string, env: NodeJS.ProcessEnv): Run {
  const clean = Object.fromEntries(Object.entries({ ...process.env, ...env }).filter(([k]) => !k.startsWith('npm_')));
  const child = spawn('sh', ['-c', line], { cwd: ROOT, env: clean, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

let gw: GatewayProcess | undefined;
const running: Run[] = [];
afterAll(async () => {
  for (const r of running) if (r.child.exitCode === null && r.child.pid) process.kill(-r.child.pid, 'SIGINT');
  await Promise.all(running.map((r) => r.exited));
  await killGateway(gw);
});

describe('the walkthrough: a bot started after a long conversation', () => {
  it('the bot receives the 500 past messages, oldest first and marked history, then the live one, once each', async () => {
    const lines = walkthrough();
    expect(lines.map((l) => l.split(' -- ')[0])).toEqual(['npm start', 'npm run customer', 'npm run listen', 'npm run history', 'npm run customer']);
    const [, seed, listen, backfill, live] = lines as [string, string, string, string, string];

    gw = await spawnGateway([]);
    const ready = JSON.parse(gw.stdout.find((l) => l.includes('"gateway ready"'))!) as { webhook: string; inbox: string };
    const env = { GATEWAY_TARGET: gw.target };
    const finish = async (line: string): Promise<{ stdout: string; stderr: string }> => {
      const run = sh(line, env);
      const code = await run.exited;
      expect(code, `${line}\n${run.stderr()}`).toBe(0);
      return { stdout: run.stdout(), stderr: run.stderr() };
    };

    const seeded = await finish(`${seed} --inbox ${ready.inbox}`);
    expect(JSON.parse(seeded.stdout.trim().split('\n').at(-1)!)).toMatchObject({ seeded: 500 });

    const bot = sh(listen, env);
    running.push(bot);
    await waitFor(() => /listening on .* as group history-bot/.test(bot.stderr()), { what: 'the bot to be listening', timeoutMs: 30_000, intervalMs: 50 });

    const done = await finish(backfill);
    const [queued, status] = done.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(queued).toEqual({ backfillId: expect.stringMatching(/^bf_/) });
    expect(status).toMatchObject({ state: 'BACKFILL_STATE_DONE', conversationsDone: 1, messagesStored: 500 });

    await finish(`${live} --webhook ${ready.webhook}`);
    await waitFor(() => bot.stdout().includes('"and now?"'), { what: 'the live message at the bot', timeoutMs: 30_000, intervalMs: 50 });

    const events = bot.stdout().split('\n').filter((l) => / {2}page 1001 {2}from /.test(l));
    // The backfill's markers frame the history: started, the 500, ended, then the live one.
    expect(events).toHaveLength(503);
    expect(events[0]).toMatch(/from 24681400 {2}backfillStarted {2}backfill bf_[0-9a-f]+: history follows {2}ev_/);
    expect(events[501]).toMatch(/from 24681400 {2}backfillEnded {2}backfill bf_[0-9a-f]+: 500 stored, 0 already there {2}ev_/);
    const past = events.slice(1, 501);
    expect(past.every((l) => l.includes('  message (history)  '))).toBe(true);
    // Oldest first: the seeded turns in order, the customer's and the Page's (as echoes).
    past.forEach((l, i) => expect(l).toContain(i % 2 === 0 ? `from 24681400  message (history)  "Customer #${i + 1}: ` : `from 1001  message (history)  echo "Page #${i + 1}: `));
    expect(events[502]).toMatch(/from 24681400 {2}message {2}"and now\?" {2}ev_/);
    const ids = events.map((l) => /ev_[0-9a-f]+/.exec(l)![0]);
    expect(new Set(ids).size).toBe(503);
  }, 180_000);
});
