import { describe, expect, it } from 'vitest';
import { freePort } from '../support/gateway-process';
import { runCli } from './run-cli';

// `listen` against a live gateway is run by test/receiving/cli-loop.test.ts and test/cli/pipes.test.ts.
describe('npm run listen', () => {
  it('says "listening" only once subscribed: with no gateway at the target it never does (exit 3)', async () => {
    const r = await runCli(['listen', '--target', `127.0.0.1:${await freePort()}`, '--group', 'g1']);
    expect(r.code).toBe(3);
    expect(r.stderr).not.toMatch(/listening on/);
    expect(JSON.parse(r.stderr)).toMatchObject({ code: 'UNAVAILABLE', hint: expect.stringMatching(/no gateway answered/) });
  });

  it('--help says Page ids are numeric and that a reader going away ends the stream', async () => {
    const r = await runCli(['listen', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Page ids are numeric/);
    expect(r.stdout).toMatch(/a reader that goes away \(… \| head -1\), ends the stream/);
  });
});
