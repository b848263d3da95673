import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli';
import { MAIN, NODE_TSX, ROOT, spawnGateway, type GatewayProcess, killGateway } from '../support/gateway-process';
import { waitFor } from '../support/wait-for';

// The loop of the README on one machine: the gateway on its sandbox, `npm run listen` as a
// consumer, `npm run customer` as the person writing to the Page.
let proc: GatewayProcess | undefined;
afterEach(async () => {
  await killGateway(proc);
  proc = undefined;
});

describe('npm run customer → gateway → npm run listen', () => {
  it('the customer\'s message and postback are printed by the listener, which acks them and stops on SIGINT with exit 0', async () => {
    proc = await spawnGateway([]);
    const webhook = proc.stdout.map((l) => JSON.parse(l) as { msg: string; webhook?: string }).find((l) => l.msg === 'gateway ready')!.webhook!;
    const listener = spawn(NODE_TSX[0], [...NODE_TSX.slice(1), MAIN, 'listen', '--group', 'readme', '--target', proc.target], { cwd: ROOT });
    let out = '';
    let err = '';
    listener.stdout.on('data', (b: Buffer) => (out += b.toString()));
    listener.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const exited = new Promise<number | null>((r) => listener.once('exit', r));
    const until = async (re: RegExp, text: () => string) => {
      await waitFor(() => re.test(text()), { what: `${re} from the listener`, timeoutMs: 10_000, intervalMs: 50 });
      return text();
    };
    expect(await until(/listening on/, () => err)).toContain('group readme');
    // The gateway logs the subscription once it is live.
    const gateway = proc;
    await waitFor(() => gateway.stdout.some((l) => l.includes('"event stream subscribed"') && l.includes('"group":"readme"')), { what: "the gateway's line for the listener's subscription", timeoutMs: 10_000 });

    const said = await runCli(['customer', '--page', '1001', '--from', '24681357', '--text', 'hi there', '--webhook', webhook]);
    expect(said.code, said.stderr).toBe(0);
    expect(JSON.parse(said.stdout)).toMatchObject({ status: 200, mid: expect.stringMatching(/^m_/) });
    const tapped = await runCli(['customer', '--page', '1001', '--from', '24681357', '--postback', 'GET_STARTED', '--webhook', webhook]);
    expect(tapped.code, tapped.stderr).toBe(0);

    const printed = await until(/postback/, () => out);
    expect(printed).toMatch(/page 1001 {2}from 24681357 {2}message {2}"hi there" {2}ev_[0-9a-f]{32}/);
    expect(printed).toMatch(/postback {2}payload "GET_STARTED"/);
    listener.kill('SIGINT');
    expect(await exited).toBe(0);

    // A wrong app secret is refused by the listener: exit 1 with its answer.
    const forged = await runCli(['customer', '--page', '1001', '--from', '1', '--text', 'x', '--webhook', webhook, '--app-secret', 'not-the-secret']);
    expect(forged.code).toBe(1);
    expect(forged.stderr).toContain('HTTP 403');
  });
});
