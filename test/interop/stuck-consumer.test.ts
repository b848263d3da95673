import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventServiceClient, StartPosition, type ListDeadLettersResponse, type StreamEventsResponse } from '../../gen/messenger/v1/events';
import { SANDBOX_WEBHOOK } from '../../src/config/gateway-config';
import { customerWebhookBody, postWebhook } from '../../src/sandbox/customer-webhook';
import { ROOT, spawnGateway, type GatewayProcess } from '../support/gateway-process';
import { waitFor } from '../support/wait-for';

// A consumer that never reads (issue 23, defect 6): a Python grpcio client subscribes with
// max_outstanding 100 and never iterates its stream. Its C core keeps reading the socket, so
// the gateway's write buffer never fills: the gateway must see it from the ack deadlines. A
// grpc-js consumer of the same group acks everything; with 2 KB events and 3 delivery
// attempts, nothing may be parked, and the stuck stream is ended CONSUMER_NOT_READING.

const PYTHON = '/usr/bin/python3';
const EVENTS = 150;
const ACK_DEADLINE_MS = 1_000;
const missing = spawnSync(PYTHON, ['-c', 'import grpc, google.protobuf']).status !== 0;
const why = 'the interop tests need python3-grpcio and python3-protobuf (sudo bash .ci/install-polyglot.sh)';
const skip = missing && !process.env.CI;
if (skip) console.warn(`SKIPPED: ${why}`);

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
  });
}

describe.skipIf(skip)('a grpcio consumer that never reads its stream', () => {
  let gw: GatewayProcess;
  let dir: string;
  let gen: string;
  let events: EventServiceClient;
  beforeAll(async () => {
    if (missing) throw new Error(why); // CI must run these tests
    dir = mkdtempSync(join(tmpdir(), 'mgw-stuck-'));
    gen = join(dir, 'gen');
    const template = JSON.stringify({ version: 'v2', plugins: [{ protoc_builtin: 'python', out: '.' }, { local: 'grpc_python_plugin', out: '.' }] });
    const config = join(dir, 'gateway.json');
    writeFileSync(config, JSON.stringify({ events: { ackDeadlineMs: ACK_DEADLINE_MS, maxDeliveryAttempts: 3 } }));
    const [generated, proc] = await Promise.all([run(join(ROOT, 'node_modules/.bin/buf'), ['generate', '--template', template, '-o', gen]), spawnGateway(['--config', config, '--sandbox'])]);
    gw = proc;
    expect(generated.code, generated.stderr).toBe(0);
    events = new EventServiceClient(gw.target, credentials.createInsecure());
  }, 60_000);
  afterAll(async () => {
    events?.close();
    if (gw) {
      gw.child.kill('SIGTERM');
      await gw.exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is ended with CONSUMER_NOT_READING, and the healthy consumer gets every event without one parked', async () => {
    const group = 'stuck-test';
    const py = spawn(PYTHON, [join(ROOT, 'test/interop/never_reading_consumer.py'), '--target', gw.target, '--gen', gen, '--group', group, '--max-outstanding', '100'], { cwd: ROOT });
    const pyOut: string[] = [];
    py.stdout.on('data', (b: Buffer) => pyOut.push(b.toString('utf8')));
    py.stderr.on('data', (b: Buffer) => pyOut.push(b.toString('utf8')));
    const pyExited = new Promise<number | null>((resolve) => py.once('exit', resolve));
    try {
      await waitFor(() => pyOut.join('').includes('live'), { what: 'the Python consumer subscribed', timeoutMs: 15_000 });

      // The healthy consumer: acks everything it is given.
      const got = new Map<string, number>();
      const call = events.streamEvents(new Metadata());
      call.on('data', (r: StreamEventsResponse) => {
        got.set(r.event!.eventId, r.deliveryAttempt);
        call.write({ ack: { eventIds: [r.event!.eventId] } });
      });
      call.on('error', (_e: ServiceError) => {});
      const live = new Promise<void>((resolve) => call.on('metadata', () => resolve()));
      call.write({ subscribe: { consumerGroup: group, pageIds: [], maxOutstanding: 100, start: StartPosition.START_POSITION_LATEST } });
      await live;

      const webhook = gw.stdout.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'gateway ready')?.webhook as string;
      const text = 'x'.repeat(2_000);
      for (let i = 0; i < EVENTS; i += 10) {
        const posts = Array.from({ length: 10 }, (_, k) => postWebhook(webhook, SANDBOX_WEBHOOK.appSecret, customerWebhookBody({ pageId: '1001', psid: String(5_000_000 + i + k), text: `${i + k} ${text}` })));
        expect((await Promise.all(posts)).map((r) => r.status)).toEqual(Array(10).fill(200));
      }

      await waitFor(() => got.size === EVENTS, { what: `the healthy consumer had all ${EVENTS} events (had ${got.size})`, timeoutMs: 20_000 });
      const ended = gw.stdout.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'event stream ended' && l.group === group);
      expect(ended.map((l) => l.reason)).toEqual(['CONSUMER_NOT_READING']);
      const parked = await new Promise<ListDeadLettersResponse | undefined>((resolve) => events.listDeadLetters({ consumerGroup: group, pageSize: 1000, pageToken: '' }, (_err, res) => resolve(res)));
      expect(parked?.deadLetters).toEqual([]);
      call.cancel();
    } finally {
      py.stdin.end();
      await pyExited;
      console.log(`[python never-reading consumer]\n${pyOut.join('')}`);
    }
  }, 60_000);
});
