import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { MessengerServiceClient, SendMessageRequest } from '../../gen/messenger/v1/service';
import { textTo } from '../support/gateway-harness';
import { freePort, spawnGateway, type GatewayProcess } from '../support/gateway-process';

describe('SIGTERM with the OTLP collector unreachable', () => {
  let gw: GatewayProcess | undefined;
  afterAll(() => {
    if (gw && gw.child.exitCode === null) gw.child.kill('SIGKILL');
  });

  it('exits 0 within the grace period; the failed flush is a warning', async () => {
    const closed = await freePort(); // nothing listens there
    const dir = mkdtempSync(join(tmpdir(), 'gw-otlp-'));
    const config = join(dir, 'gateway.json');
    writeFileSync(config, JSON.stringify({ sandbox: true, shutdownGraceMs: 3_000 }));
    gw = await spawnGateway(['--config', config], { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${closed}`, OTEL_SERVICE_NAME: 'gw-otlp-test' });
    const client = new MessengerServiceClient(gw.target, credentials.createInsecure());
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve, reject) =>
        client.sendMessage(SendMessageRequest.fromPartial(textTo('123', `m ${i}`, '1002')), new Metadata(), { deadline: Date.now() + 5_000 }, (err) => (err ? reject(err) : resolve())),
      );
    }
    client.close();
    const started = Date.now();
    gw.child.kill('SIGTERM');
    const code = await gw.exited;
    const took = Date.now() - started;
    expect(code, gw.stdout.slice(-5).join('\n')).toBe(0);
    expect(took).toBeLessThan(3_000);
    expect(gw.stdout.join('\n')).not.toContain('shutdown failed');
    expect(gw.stdout.some((l) => l.includes('"level":40') && l.includes('final span flush failed'))).toBe(true);
    console.log(`SIGTERM to exit: ${took} ms`);
  }, 30_000);
});
