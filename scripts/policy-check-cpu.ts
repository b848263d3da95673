/**
 * The conversation policy's CPU per send, memory store, same-run A/B (policy `enforce` against
 * `off`), in two ways:
 *  1. the check alone, as the Graph-call core runs it: the spec's conversation, then the guard's
 *     check against 200,000 records (a tenth of the sends' people known, in the window);
 *  2. whole SendMessage calls through a gateway in this process (a real grpc-js server and
 *     client, Graph answered by a local HTTP stub), pages 1001 (enforce) and 1002 (off)
 *     alternating in rounds, process CPU time per send.
 * Run: npx tsx scripts/policy-check-cpu.ts
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { credentials, Metadata } from '@grpc/grpc-js';
import { MessagingType } from '../gen/messenger/v1/enums';
import { MessengerServiceClient, SendMessageRequest } from '../gen/messenger/v1/service';
import { DEFAULT_CONFIG, type ConversationPolicy } from '../src/config/gateway-config';
import { ConversationGuard } from '../src/conversations/conversation-guard';
import { MemoryConversationRecords } from '../src/conversations/memory-conversation-records';
import { createLogger } from '../src/log/logger';
import { startGateway } from '../src/server/gateway-server';
import { sendMessageSpec } from '../src/service/send-message';

const RECORDS = 200_000;

function request(pageId: string, psid: string): SendMessageRequest {
  return SendMessageRequest.fromPartial({ pageId, recipient: { identifier: { $case: 'id', value: psid } }, message: { content: { $case: 'text', value: 'hi' } }, messagingType: MessagingType.MESSAGING_TYPE_RESPONSE });
}

function checkAlone(): void {
  const records = new MemoryConversationRecords(RECORDS);
  const now = Date.now();
  const updates = [];
  for (let i = 0; i < RECORDS; i++) updates.push({ pageId: i % 2 ? '1001' : '1002', person: String(1e9 + i), inboundMs: now - 60_000, owner: 'self', ownerMs: now - 60_000 });
  records.apply(updates, now);
  const policies = new Map<string, ConversationPolicy>([['1001', 'enforce'], ['1002', 'off']]);
  const guard = new ConversationGuard(records, (p) => policies.get(p) ?? 'enforce', createLogger('silent'));
  const reqs = { enforce: [] as SendMessageRequest[], off: [] as SendMessageRequest[] };
  for (let i = 0; i < 10_000; i++) {
    // Half known (in the records), half never seen.
    reqs.enforce.push(request('1001', String(1e9 + (i % 2 ? i * 2 + 1 : 5e9 + i))));
    reqs.off.push(request('1002', String(1e9 + i * 2)));
  }
  const run = (list: SendMessageRequest[]) => {
    const start = process.cpuUsage();
    for (let round = 0; round < 50; round++) {
      for (const req of list) {
        const c = sendMessageSpec.conversation!(req);
        if (c) guard.check(req.pageId, c, undefined);
      }
    }
    const used = process.cpuUsage(start);
    return ((used.user + used.system) * 1000) / (list.length * 50); // ns per send
  };
  run(reqs.enforce);
  run(reqs.off);
  const results = { enforce: [] as number[], off: [] as number[] };
  for (let i = 0; i < 5; i++) {
    results.enforce.push(run(reqs.enforce));
    results.off.push(run(reqs.off));
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`check alone: enforce ${median(results.enforce).toFixed(0)} ns/send, off ${median(results.off).toFixed(0)} ns/send (medians of 5 rounds of 500,000)`);
}

async function wholeSends(): Promise<void> {
  const graph = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"recipient_id":"1","message_id":"m_1"}'));
  });
  await new Promise<void>((r) => graph.listen(0, '127.0.0.1', r));
  const gateway = await startGateway({
    ...DEFAULT_CONFIG,
    listen: '127.0.0.1:0',
    graph: { ...DEFAULT_CONFIG.graph, baseUrl: `http://127.0.0.1:${(graph.address() as AddressInfo).port}` },
    pages: [
      { id: '1001', accessToken: 't1', appsecretProof: 'classic', conversationPolicy: 'enforce' },
      { id: '1002', accessToken: 't2', appsecretProof: 'classic', conversationPolicy: 'off' },
    ],
    delivery: { ...DEFAULT_CONFIG.delivery, rateLimit: { ...DEFAULT_CONFIG.delivery.rateLimit, defaultPerSecond: 1_000_000 } },
    log: { level: 'silent' },
  }, createLogger('silent'));
  const client = new MessengerServiceClient(`127.0.0.1:${gateway.port}`, credentials.createInsecure());
  const send = (req: SendMessageRequest) => new Promise<void>((resolve, reject) => client.sendMessage(req, new Metadata(), (err) => (err ? reject(err) : resolve())));
  const round = async (pageId: string, n: number) => {
    const reqs = Array.from({ length: n }, (_, i) => request(pageId, String(2e9 + i)));
    const start = process.cpuUsage();
    for (let i = 0; i < n; i += 50) await Promise.all(reqs.slice(i, i + 50).map(send));
    const used = process.cpuUsage(start);
    return (used.user + used.system) / n; // µs per send
  };
  await round('1001', 2_000);
  await round('1002', 2_000);
  const r = { enforce: [] as number[], off: [] as number[] };
  for (let i = 0; i < 6; i++) {
    r.enforce.push(await round('1001', 4_000));
    r.off.push(await round('1002', 4_000));
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`whole SendMessage (gateway and client in one process): enforce ${median(r.enforce).toFixed(1)} µs CPU/send, off ${median(r.off).toFixed(1)} µs CPU/send (medians of 6 rounds of 4,000; enforce rounds: ${r.enforce.map((x) => x.toFixed(1)).join(', ')}; off: ${r.off.map((x) => x.toFixed(1)).join(', ')})`);
  client.close();
  await gateway.shutdown(100);
  graph.close();
}

checkAlone();
void wholeSends();
