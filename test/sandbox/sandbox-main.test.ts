import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { request } from 'undici';

const ROOT = join(__dirname, '../..');

describe('sandbox CLI', () => {
  it('prints its URL as one JSON line, serves, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/sandbox.ts', '--port', '0', '--host', '127.0.0.1'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const lines = createInterface({ input: child.stdout });
      const [first] = (await once(lines, 'line')) as [string];
      const log = JSON.parse(first) as { url: string; level: unknown; time: unknown; demoPages: Record<string, string> };
      expect(log.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      // The gateway's format (pino): numeric level, epoch-ms time.
      expect(log).toMatchObject({ level: 30, time: expect.any(Number), service: 'messenger-sandbox' });
      expect(Object.keys(log.demoPages)).toEqual(['1001', '1002']);

      const res = await request(`${log.url}/v25.0/1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer t' },
        body: JSON.stringify({ recipient: { id: '1' }, message: { text: 'hi' } }),
      });
      expect(res.statusCode).toBe(200);
      await res.body.dump();

      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
      // npm itself exits with the server's 0, or (when the signal reaches it while it still
      // waits on the script) re-raises SIGTERM: either way the server must be gone.
      expect(code === 0 || signal === 'SIGTERM', `code ${code}, signal ${signal}`).toBe(true);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('starts beside a running gateway: its inbox takes a free port, not the gateway\'s 8025, and says where', async () => {
    // Two at once, as a user's shell runs them (no inbox address set anywhere; the test config
    // sets one for gateways): with a fixed inbox port the second could not start. 8025 itself is
    // left alone, for whatever runs on this machine.
    const env = { ...process.env };
    delete env.GATEWAY_INBOX_LISTEN;
    const children = [0, 1].map(() => spawn(process.execPath, ['--import', 'tsx', 'src/cli/sandbox.ts', '--port', '0'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }));
    try {
      const inboxes = await Promise.all(children.map(async (child) => {
        const logs: Array<{ msg: string; inbox?: string }> = [];
        for await (const line of createInterface({ input: child.stdout })) {
          logs.push(JSON.parse(line) as { msg: string; inbox?: string });
          if (logs.some((l) => l.inbox)) break;
        }
        const inbox = logs.find((l) => l.inbox);
        expect(inbox, JSON.stringify(logs)).toBeDefined();
        expect(inbox!.msg).toBe(`sandbox inbox: every message sent, as Messenger shows it, at ${inbox!.inbox}`);
        return inbox!.inbox!;
      }));
      for (const url of inboxes) {
        expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(new URL(url).port).not.toBe('8025');
        const res = await request(`${url}/api/conversations`);
        expect(res.statusCode).toBe(200);
        await res.body.dump();
        // It serves the demo image too, as the sandbox does.
        const cat = await request(`${url}/_sandbox/demo/cat.png`);
        expect([cat.statusCode, cat.headers['content-type']]).toEqual([200, 'image/png']);
        await cat.body.dump();
      }
      expect(inboxes[0]).not.toBe(inboxes[1]);
    } finally {
      for (const child of children) child.kill('SIGKILL');
    }
  });

  it('`npm run sandbox` execs the server: SIGTERM to the npm process stops it', async () => {
    const child = spawn('npm', ['run', 'sandbox', '--', '--port', '0', '--host', '127.0.0.1'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const lines = createInterface({ input: child.stdout });
      let url = '';
      for await (const line of lines) {
        if (line.startsWith('{')) {
          url = (JSON.parse(line) as { url: string }).url;
          break;
        }
      }
      const port = Number(new URL(url).port);
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
      // npm itself exits with the server's 0, or (when the signal reaches it while it still
      // waits on the script) re-raises SIGTERM: either way the server must be gone.
      expect(code === 0 || signal === 'SIGTERM', `code ${code}, signal ${signal}`).toBe(true);
      // With `sh -c node ...` the shell got the signal and the server kept listening.
      const refused = await new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => (socket.destroy(), resolve(false)));
        socket.once('error', () => resolve(true));
      });
      expect(refused).toBe(true);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
