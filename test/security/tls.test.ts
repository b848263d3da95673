import { credentials, Metadata, status } from '@grpc/grpc-js';
import { execFileSync } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey } from '../../src/server/caller-auth';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { grpcError, startTestGateway, textTo, type TestGateway } from '../support/gateway-harness';
import { makeTestCa, read, type TestCa } from '../support/test-ca';

/** openssl makes the test CA; without it the suite is skipped with a message, except in CI. */
function opensslAvailable(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
    return true;
  } catch {
    if (process.env.CI) throw new Error('openssl is missing: CI must run the TLS tests (bash .ci/install-test-services.sh)');
    console.warn('Skipping TLS tests: openssl not found (apt-get install openssl)');
    return false;
  }
}

let ca: TestCa;
let gw: TestGateway | undefined;
const available = opensslAvailable();
beforeAll(() => {
  if (available) ca = makeTestCa();
}, 30_000);
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

describe.skipIf(!available)('TLS on the gRPC port', () => {
  it('TLS with an API key: the send goes through an encrypted channel; plaintext clients are refused', async () => {
    const key = generateApiKey();
    gw = await startTestGateway({
      extra: { tls: { certFile: ca.serverCert, keyFile: ca.serverKey }, callers: [{ name: 'orders', apiKeyHash: hashApiKey(key), pages: ['*'], ratePerSecond: 0 }] },
      clientCredentials: credentials.createSsl(read(ca.caCert)),
    });
    const md = new Metadata();
    md.set('authorization', `Bearer ${key}`);
    expect((await gw.send(textTo('1'), { metadata: md })).messageId).toMatch(/^m_/);
  });

  it('mTLS: the client certificate names the caller; an unknown certificate is UNAUTHENTICATED; no certificate, no connection', async () => {
    const billing = ca.client('billing');
    const stranger = ca.client('stranger');
    const tls = { certFile: ca.serverCert, keyFile: ca.serverKey, clientCaFile: ca.caCert };
    const callers = [{ name: 'billing', certificate: { commonName: 'billing' }, pages: ['1001'], ratePerSecond: 0 }];
    gw = await startTestGateway({ extra: { tls, callers }, clientCredentials: credentials.createSsl(read(ca.caCert), read(billing.key), read(billing.cert)) });
    expect((await gw.send(textTo('1'))).messageId).toMatch(/^m_/);
    const denied = await grpcError(gw.send(textTo('1', 'hi', '2002')));
    expect(denied.code).toBe(status.PERMISSION_DENIED);
    await gw.close();

    gw = await startTestGateway({ extra: { tls, callers }, clientCredentials: credentials.createSsl(read(ca.caCert), read(stranger.key), read(stranger.cert)) });
    const unknown = await grpcError(gw.send(textTo('1')));
    expect(unknown.code).toBe(status.UNAUTHENTICATED);
    expect(decodeStatusDetails(unknown.metadata).errorInfo?.reason).toBe('CALLER_UNAUTHENTICATED');
    await gw.close();

    gw = await startTestGateway({ extra: { tls, callers }, clientCredentials: credentials.createSsl(read(ca.caCert)) });
    const noCert = await grpcError(gw.send(textTo('1'), { deadlineMs: 3_000 }));
    expect(noCert.code).toBe(status.UNAVAILABLE);
  });

  it('a DNS subject alternative name identifies a caller too', async () => {
    const billing = ca.client('billing');
    gw = await startTestGateway({
      extra: { tls: { certFile: ca.serverCert, keyFile: ca.serverKey, clientCaFile: ca.caCert }, callers: [{ name: 'billing', certificate: { dnsName: 'billing.internal' }, pages: ['*'], ratePerSecond: 0 }] },
      clientCredentials: credentials.createSsl(read(ca.caCert), read(billing.key), read(billing.cert)),
    });
    expect((await gw.send(textTo('1'))).messageId).toMatch(/^m_/);
  });
});
