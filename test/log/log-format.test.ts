import { spawn, spawnSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load-config';
import { createLogger, flushLogger, MAX_LOG_LINE } from '../../src/log/logger';
import { MAIN, NODE_TSX, ROOT } from '../support/gateway-process';

/** What a logger of `format` writes for the calls `log` makes. */
async function written(format: 'json' | 'pretty', log: (l: ReturnType<typeof createLogger>) => void): Promise<string[]> {
  const sink = new PassThrough();
  let out = '';
  sink.on('data', (b: Buffer) => (out += b.toString()));
  const logger = createLogger('info', sink, 'messenger-gateway', format);
  log(logger);
  await flushLogger(logger);
  return out.split('\n').filter(Boolean);
}

describe('log.format', () => {
  it('pretty: one readable line (time, level, message, then key=value), the same redaction', async () => {
    const lines = await written('pretty', (l) => {
      l.info({ listen: '127.0.0.1:50051', pages: ['1001'], note: 'two words', accessToken: 'EAAB-very-secret-token' }, 'gateway ready');
      l.warn('SANDBOX MODE');
    });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO  gateway ready  listen=127\.0\.0\.1:50051 pages=\["1001"\] note="two words" accessToken=\[redacted\]$/);
    expect(lines[1]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN  SANDBOX MODE$/);
    expect(lines.join('\n')).not.toContain('EAAB-very-secret-token');
  });

  it('pretty: every line is bounded as JSON lines are (16 KiB)', async () => {
    const [line] = await written('pretty', (l) => l.info({ echoed: 'x'.repeat(200_000) }, 'big'));
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_LOG_LINE);
    expect(line).toMatch(/ERROR log line too long: cut/);
  });

  it('json: pino JSON lines, as before', async () => {
    const [line] = await written('json', (l) => l.info({ a: 1 }, 'hello'));
    expect(JSON.parse(line)).toMatchObject({ level: 30, msg: 'hello', a: 1, service: 'messenger-gateway', time: expect.any(Number) });
  });

  it('the config key takes json or pretty, and names itself when wrong', () => {
    expect(parseConfig({ log: { format: 'pretty' } }, {}).log).toEqual({ level: 'info', format: 'pretty' });
    expect(parseConfig({}, {}).log).toEqual({ level: 'info' });
    expect(() => parseConfig({ log: { format: 'fancy' } }, {})).toThrow(ConfigError);
    expect(() => parseConfig({ log: { format: 'fancy' } }, {})).toThrow(/log\.format.*json, pretty/);
  });

  // `script` gives the gateway a terminal as stdout, as a person running `npm start` has.
  const hasScript = !spawnSync('script', ['--version']).error;
  it.skipIf(!hasScript)('without log.format: readable on a terminal, JSON into a pipe (every other test)', async () => {
    const cmd = [NODE_TSX[0], ...NODE_TSX.slice(1), MAIN, '--listen', '127.0.0.1:0'].map((w) => `'${w}'`).join(' ');
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    const ready = new Promise<void>((resolve) => child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('gateway ready')) resolve();
    }));
    const exited = new Promise((r) => child.once('exit', r));
    try {
      await ready;
      expect(out).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO  gateway ready  listen=127\.0\.0\.1:0 port=\d+/m);
      expect(out).not.toMatch(/"msg":"gateway ready"/);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
