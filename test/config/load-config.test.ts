import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, parseConfig } from '../../src/config/load-config';
import { resolveConfig } from '../../src/config/resolve-config';

const env = { PAGE_1001_TOKEN: 'EAAB-secret-token', APP_SECRET: 'app-secret' };

describe('config', () => {
  it('reads the documented shape, substituting ${ENV} secrets', () => {
    const c = parseConfig({
      listen: '127.0.0.1:50051',
      graph: { baseUrl: 'https://graph.facebook.com', version: 'v25.0', timeoutMs: 10000 },
      pages: [{ id: '1001', accessToken: '${PAGE_1001_TOKEN}', appSecret: '${APP_SECRET}' }],
    }, env);
    expect(c.pages).toEqual([{ id: '1001', accessToken: 'EAAB-secret-token', appSecret: 'app-secret', appsecretProof: 'classic' }]);
    expect(c.graph).toEqual({ baseUrl: 'https://graph.facebook.com', version: 'v25.0', timeoutMs: 10000, connections: 128 });
    expect(c.shutdownGraceMs).toBe(10000);
  });

  it.each([
    [{ lisen: 'x' }, 'lisen'],
    [{ graph: { timeoutMs: -1 } }, 'graph.timeoutMs'],
    [{ graph: { version: '25' } }, 'graph.version'],
    [{ graph: { baseUrl: 'ftp://x' } }, 'graph.baseUrl'],
    [{ graph: { baseUrl: 'https://graph.facebook.com?access_token=x' } }, 'graph.baseUrl'],
    [{ pages: [{ id: 'abc', accessToken: 't' }] }, 'pages[0].id'],
    [{ pages: [{ id: '1', accessToken: '${MISSING_VAR}' }] }, 'pages[0].accessToken'],
    [{ pages: [{ id: '1', accessToken: 't', extra: 1 }] }, 'pages[0].extra'],
    [{ pages: [{ id: '1', accessToken: 't' }, { id: '1', accessToken: 'u' }] }, 'pages[1].id'],
    [{ listen: 'nope' }, 'listen'],
    [{ log: { level: 'loud' } }, 'log.level'],
  ])('names the bad key of %j', (raw, key) => {
    try {
      parseConfig(raw, env);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).key).toBe(key);
      expect((err as Error).message).toContain(key);
    }
  });

  it('never puts a secret value in an error message', () => {
    try {
      parseConfig({ pages: [{ id: '1', accessToken: '${PAGE_1001_TOKEN}', appsecretProof: 'nope' }] }, env);
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain('EAAB-secret-token');
    }
  });

  it('reports unreadable and invalid files by path', () => {
    expect(() => loadConfigFile('/nonexistent/gw.json')).toThrow(/\/nonexistent\/gw.json: cannot be read/);
    const dir = mkdtempSync(join(tmpdir(), 'gw-'));
    writeFileSync(join(dir, 'bad.json'), '{"listen": ');
    expect(() => loadConfigFile(join(dir, 'bad.json'))).toThrow(/is not valid JSON/);
  });

  it('--listen beats GATEWAY_LISTEN beats the file; no pages means sandbox', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-'));
    const file = join(dir, 'gw.json');
    writeFileSync(file, JSON.stringify({ listen: '127.0.0.1:1', pages: [{ id: '1001', accessToken: '${PAGE_1001_TOKEN}' }] }));
    expect(resolveConfig({ configPath: file }, env)).toMatchObject({ listen: '127.0.0.1:1', sandbox: false });
    expect(resolveConfig({}, { ...env, GATEWAY_CONFIG: file, GATEWAY_LISTEN: '127.0.0.1:2' }).listen).toBe('127.0.0.1:2');
    expect(resolveConfig({ configPath: file, listen: '127.0.0.1:3' }, { ...env, GATEWAY_LISTEN: '127.0.0.1:2' }).listen).toBe('127.0.0.1:3');
    expect(resolveConfig({}, {})).toMatchObject({ listen: '127.0.0.1:50051', sandbox: true, pages: [] });
    expect(resolveConfig({ configPath: file, sandbox: true }, env).sandbox).toBe(true);
  });
});
