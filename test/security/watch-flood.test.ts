import { readFileSync } from 'node:fs';
import { credentials, makeClientConstructor, Metadata, status, type Client, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { afterAll, describe, expect, it } from 'vitest';
import { MessengerServiceClient, SendMessageRequest } from '../../gen/messenger/v1/service';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { textTo } from '../support/gateway-harness';
import { spawnGateway, type GatewayProcess } from '../support/gateway-process';

type HealthClient = Client & { Watch(req: { service: string }): ClientReadableStream<unknown> };
const Health = makeClientConstructor(healthService, 'grpc.health.v1.Health') as unknown as new (target: string, creds: ReturnType<typeof credentials.createInsecure>, options?: object) => HealthClient;

function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return Math.round(kb / 1024);
}

describe('Health Watch streams are bounded', () => {
  let gw: GatewayProcess | undefined;
  const clients: HealthClient[] = [];
  afterAll(() => {
    for (const c of clients) c.close();
    if (gw && gw.child.exitCode === null) gw.child.kill('SIGKILL');
  });

  it('5,000 Watch streams over 5 connections: at most the bounds stay open, the rest RESOURCE_EXHAUSTED; memory stays flat and sends work', async () => {
    gw = await spawnGateway(['--sandbox']);
    const before = rssMb(gw.child.pid!);
    let open = 0;
    let refused = 0;
    let other = 0;
    const reasons = new Set<string>();
    const settled: Promise<void>[] = [];
    for (let c = 0; c < 5; c++) {
      // Its own subchannel pool: one HTTP/2 connection per client.
      const client = new Health(gw.target, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
      clients.push(client);
      for (let i = 0; i < 1_000; i++) {
        const stream = client.Watch({ service: '' });
        settled.push(new Promise<void>((resolve) => {
          stream.once('data', () => {
            open++;
            resolve();
          });
          stream.once('error', (err: ServiceError) => {
            if (err.code === status.RESOURCE_EXHAUSTED) {
              refused++;
              reasons.add(decodeStatusDetails(err.metadata).errorInfo?.reason ?? '-');
            } else other++;
            resolve();
          });
        }));
      }
    }
    await Promise.all(settled);
    const after = rssMb(gw.child.pid!);
    // Sends still work during the flood.
    const sender = new MessengerServiceClient(gw.target, credentials.createInsecure());
    const res = await new Promise<unknown>((resolve, reject) =>
      sender.sendMessage(SendMessageRequest.fromPartial(textTo('123', 'during the flood', '1002')), new Metadata(), { deadline: Date.now() + 5_000 }, (err, r) => (err ? reject(err) : resolve(r))),
    );
    sender.close();
    console.log(`Watch flood: ${open} open, ${refused} refused, RSS ${before} -> ${after} MB`);
    expect(res).toBeDefined();
    expect(other).toBe(0);
    // Default bounds: 16 per connection, 1,000 in all.
    expect(open).toBeLessThanOrEqual(5 * 16);
    expect(refused).toBe(5_000 - open);
    expect([...reasons]).toEqual(['TOO_MANY_CALLS']);
    expect(after - before).toBeLessThan(60);
  }, 60_000);
});
