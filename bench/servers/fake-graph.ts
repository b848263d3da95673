/**
 * A minimal fast fake Graph: answers any `POST .../messages` with a fixed Send API body,
 * after `--latency-ms` if given, and the platform calls the benchmark measures beside a send
 * (`POST .../pass_thread_control`, `GET /{psid}` (a user profile), `GET .../personas`) with fixed
 * answers as Graph's. No validation (the sandbox's would dominate the profile).
 * `GET /stats` returns the number of sends and platform calls answered. Loopback only; prints {"ready":true,"port":N}.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { 'latency-ms': { type: 'string' } } });
const latencyMs = Number(values['latency-ms'] ?? 0);
const BODY = Buffer.from('{"recipient_id":"1254477777772919","message_id":"m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P"}');
const HEADERS = { 'content-type': 'application/json; charset=UTF-8', 'content-length': String(BODY.length) };
/** The platform calls' answers, by the last segment of the path. */
const PLATFORM: Record<string, Buffer> = {
  pass_thread_control: Buffer.from('{"success":true}'),
  personas: Buffer.from('{"data":[{"name":"Alice","profile_picture_url":"https://example.com/alice.png","id":"1234567890123456"}]}'),
};
const USER_PROFILE = Buffer.from('{"first_name":"Peter","last_name":"Chang","profile_pic":"https://example.com/peter.png","id":"1254477777772919"}');
let sends = 0;
let platform = 0;

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sends, platform }));
    return;
  }
  const path = (req.url ?? '').split('?')[0];
  const last = path.slice(path.lastIndexOf('/') + 1);
  const answer = PLATFORM[last] ?? (req.method === 'GET' && /^\d+$/.test(last) ? USER_PROFILE : undefined);
  if (answer) {
    req.resume();
    req.on('end', () => {
      platform++;
      res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8', 'content-length': String(answer.length) }).end(answer);
    });
    return;
  }
  if (req.method !== 'POST' || !path.endsWith('/messages')) {
    req.resume();
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"Unknown path","type":"OAuthException","code":803}}');
    return;
  }
  req.on('data', () => {});
  req.on('end', () => {
    sends++;
    if (latencyMs > 0) setTimeout(() => res.writeHead(200, HEADERS).end(BODY), latencyMs);
    else res.writeHead(200, HEADERS).end(BODY);
  });
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 130_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ ready: true, port: (server.address() as AddressInfo).port })}\n`);
});
process.once('SIGTERM', () => process.exit(0));
