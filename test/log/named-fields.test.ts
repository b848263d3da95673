import { PassThrough } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createLogger, flushLogger } from '../../src/log/logger';

// What the logger redacted by name before: pino's redact paths. The logger's own censoring must write the same lines.
const PINO_PATHS = [
  'accessToken', '*.accessToken', 'appSecret', '*.appSecret', 'access_token', '*.access_token',
  'appsecret_proof', '*.appsecret_proof', 'authorization', '*.authorization', 'headers.authorization',
];

async function lines(make: (sink: PassThrough) => pino.Logger, objs: object[]): Promise<Array<Record<string, unknown>>> {
  const sink = new PassThrough();
  let out = '';
  sink.on('data', (b: Buffer) => (out += b.toString()));
  const logger = make(sink);
  for (const o of objs) logger.info(o, 'line');
  await flushLogger(logger);
  // time differs between the two loggers; everything else must not.
  return out.split('\n').filter(Boolean).map((l) => {
    const { time: _time, ...rest } = JSON.parse(l) as Record<string, unknown>;
    return rest;
  });
}

const err = Object.assign(new Error('bad'), { access_token: 'x1' });
const CASES: object[] = [
  { method: 'SendMessage', page: '1001', grpc_code: 'OK', bytes: 10, latency_ms: 1.5, caller: undefined },
  { accessToken: 'a', appSecret: 'b', access_token: 'c', appsecret_proof: 'd', authorization: 'e', other: 'f' },
  { page: { id: '1', accessToken: 'tok', name: 'n' }, headers: { authorization: 'Bearer x', 'content-type': 'json' } },
  { deep: { deeper: { accessToken: 'not one level down' } }, list: [{ accessToken: 'in an array' }] },
  { page: { accessToken: undefined, id: '2' }, accessToken: undefined },
  { nested: { appsecret_proof: 123, authorization: null } },
  { err },
];

describe('credential-named fields', () => {
  it('are censored exactly as pino redact paths did, at the top level and one level down', async () => {
    const ours = await lines((sink) => createLogger('info', sink), CASES);
    const theirs = await lines((sink) => pino({ level: 'info', base: { service: 'messenger-gateway' }, redact: { paths: PINO_PATHS, censor: '[redacted]' } }, sink), CASES);
    for (let i = 0; i < CASES.length; i++) {
      if (i === CASES.length - 1) {
        // An Error: the same censoring; pino's serializer keeps the stack either way.
        expect((ours[i].err as Record<string, unknown>).access_token).toBe('[redacted]');
        expect((ours[i].err as Record<string, unknown>).message).toBe('bad');
        expect((theirs[i].err as Record<string, unknown>).access_token).toBe('[redacted]');
        continue;
      }
      expect(ours[i], JSON.stringify(CASES[i])).toEqual(theirs[i]);
    }
  });

  it('never changes the object logged', async () => {
    const obj = { accessToken: 'a', page: { accessToken: 'b' } };
    await lines((sink) => createLogger('info', sink), [obj]);
    expect(obj).toEqual({ accessToken: 'a', page: { accessToken: 'b' } });
  });
});
