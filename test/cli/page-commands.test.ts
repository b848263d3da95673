// `npm run profile` and `npm run persona`: --help, usage errors (exit 2, nothing sent), and an
// unreachable gateway (exit 3). Their calls against a gateway are run by test/page/page-setup-doc.test.ts
// (the documented examples) and test/page/profile-as-code.test.ts.
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli';

describe('profile and persona commands', () => {
  it('--help prints the usage on stdout, exit 0', async () => {
    const profile = await runCli(['profile', '--help']);
    expect(profile.code).toBe(0);
    expect(profile.stdout).toContain('--diff');
    expect(profile.stdout).toContain('--apply');
    const persona = await runCli(['persona', '--help']);
    expect(persona.code).toBe(0);
    expect(persona.stdout).toMatch(/create[\s\S]*list[\s\S]*delete/);
  });

  it('usage errors exit 2 and name the problem', async () => {
    const both = await runCli(['profile', '--page', '1001', '--diff', '--apply', '--file', 'examples/page-setup/messenger-profile.json']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('exactly one of --diff and --apply');
    const noAction = await runCli(['persona', '--page', '1001']);
    expect(noAction.code).toBe(2);
    expect(noAction.stderr).toContain('create, list, get, delete');
    const noPicture = await runCli(['persona', 'create', '--page', '1001', '--name', 'A']);
    expect(noPicture.code).toBe(2);
  });

  it('no gateway at the target: exit 3 with a hint', async () => {
    const r = await runCli(['persona', 'list', '--page', '1001', '--target', '127.0.0.1:1', '--timeout-ms', '2000']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('no gateway answered');
  });
});
