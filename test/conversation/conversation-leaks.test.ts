import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classicProof } from '../../src/graph/appsecret-proof';
import { Redis } from 'ioredis';
import { conversationClient, type ConversationClient } from '../support/conversation-client';
import { redisServerAvailable, startRedisServer, type RedisServer } from '../support/redis-server';
import { grpcError, startTestGateway, type TestGateway } from '../support/gateway-harness';

// A Graph (or a proxy before it) that reflects the Page's credentials in every answer: in a
// profile's fields, in the thread owner's app id, and in every field of an error. Nothing of
// them may reach the caller, nor the gateway's log lines.
const TOKEN = 'EAAleakytoken0123456789abcdefLEAK';
const APP_SECRET = 'leaky-app-secret-0123456789';
const PROOF = classicProof(TOKEN, APP_SECRET).appsecret_proof;
const ALL = `${TOKEN} ${APP_SECRET} ${PROOF}`;

let server: Server;
let gw: TestGateway;
let conv: ConversationClient;
let failing = false;
let redis: RedisServer | undefined;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://graph');
      let status = 200;
      let body: unknown;
      if (failing) {
        status = 400;
        body = { error: { message: `(#100) bad ${ALL}`, type: ALL, code: 100, error_subcode: 2018218, error_user_title: ALL, error_user_msg: ALL, fbtrace_id: TOKEN } };
      } else if (url.pathname.endsWith('/thread_owner')) {
        body = { data: [{ thread_owner: { app_id: TOKEN } }] };
      } else if (url.pathname.endsWith('_thread_control')) {
        body = { success: true, note: ALL };
      } else {
        body = { id: TOKEN, name: ALL, first_name: TOKEN, last_name: APP_SECRET, profile_pic: `https://x.test/${PROOF}`, locale: ALL, gender: ALL, username: ALL };
      }
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // With Redis, the profile cache is outside the process too: what it keeps must be redacted.
  if (redisServerAvailable()) redis = await startRedisServer();
  gw = await startTestGateway({ sandbox: false, graph: { baseUrl: origin }, store: redis ? { redis: { url: redis.url, keyPrefix: 'leak:' } } : {}, pages: [{ id: '1001', accessToken: TOKEN, appSecret: APP_SECRET, appsecretProof: 'classic' }] });
  conv = conversationClient(gw.target);
});
afterAll(async () => {
  conv.close();
  await gw.close();
  await new Promise((resolve) => server.close(resolve));
  await redis?.stop();
});

const leaks = (text: string) => [TOKEN, APP_SECRET, PROOF].filter((s) => text.includes(s));

describe('secrets in every answer of ConversationService', () => {
  it('a success reflecting the credentials reaches the caller redacted', async () => {
    failing = false;
    const answers = [
      await conv.profile({ pageId: '1001', recipientId: '1', fields: ['id', 'name', 'first_name', 'last_name', 'profile_pic', 'locale', 'gender', 'username'] }),
      await conv.profile({ pageId: '1001', recipientId: '1', fields: ['id', 'name', 'first_name', 'last_name', 'profile_pic', 'locale', 'gender', 'username'] }),
      await conv.owner({ pageId: '1001', recipientId: '1' }),
      await conv.pass({ pageId: '1001', recipientId: '1', targetAppId: '5' }),
    ];
    expect(answers[1]).toMatchObject({ fromCache: true });
    expect(leaks(JSON.stringify(answers))).toEqual([]);
    expect(leaks(gw.logs.join('\n'))).toEqual([]);
    if (redis) {
      const client = new Redis(redis.url);
      const keys = await client.keys('leak:*');
      expect(keys.some((k) => k.startsWith('leak:profile:'))).toBe(true);
      const stored = await Promise.all(keys.map(async (k) => `${k} ${await dump(client, k)}`));
      client.disconnect();
      expect(leaks(stored.join('\n'))).toEqual([]);
    }
  });

  /** A key's bytes whatever its type (strings, hashes, the conversation records' sorted sets). */
  async function dump(client: Redis, key: string): Promise<string> {
    const type = await client.type(key);
    if (type === 'hash') return JSON.stringify(await client.hgetall(key));
    if (type === 'zset') return JSON.stringify(await client.zrange(key, '0', '-1', 'WITHSCORES'));
    return (await client.getBuffer(key))?.toString('latin1') ?? '';
  }

  it('an error reflecting them does too (status message, every detail, the trailers)', async () => {
    failing = true;
    for (const call of [() => conv.profile({ pageId: '1001', recipientId: '2' }), () => conv.take({ pageId: '1001', recipientId: '2' }), () => conv.owner({ pageId: '1001', recipientId: '2' })]) {
      const err = await grpcError(call());
      const md: Metadata = err.metadata;
      const trailers = Object.values(md.getMap()).map((v) => (Buffer.isBuffer(v) ? v.toString('latin1') : String(v))).join('\n');
      expect(leaks(`${err.details}\n${trailers}`)).toEqual([]);
    }
    expect(leaks(gw.logs.join('\n'))).toEqual([]);
  });
});
