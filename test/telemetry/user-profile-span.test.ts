import { spanExporter } from './setup-in-memory-tracing';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GraphClient } from '../../src/graph/graph-client';
import { pageCredentials } from '../../src/graph/page-credentials';
import { getUserProfileSpec } from '../../src/service/get-user-profile';
import { personIdRule } from '../../src/service/person-id';
import { waitFor } from '../support/wait-for';

// GetUserProfile's Graph path is the person's PSID (`GET /{psid}`): with telemetry.recordRecipient
// off (the default) the client span's url.full must not carry it, as no other span attribute does.
const PSID = '5550001112223334';
const creds = pageCredentials({ id: '1001', accessToken: 'user-profile-span-token', appSecret: 'user-profile-span-secret' } as Parameters<typeof pageCredentials>[0]);
const seenUrls: string[] = [];
let server: Server;
let origin: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    seenUrls.push(req.url ?? '');
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(`{"id":"${PSID}","first_name":"Ada"}`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});
beforeEach(() => {
  spanExporter.reset();
  seenUrls.length = 0;
});

async function urlFullOf(recordRecipient: boolean): Promise<string> {
  const spec = getUserProfileSpec(personIdRule(false), recordRecipient);
  const client = new GraphClient({ baseUrl: origin, version: 'v25.0', timeoutMs: 5_000, connections: 2 });
  try {
    const request = await spec.request({ pageId: '1001', recipientId: PSID, fields: ['first_name'] }, { pageId: '1001', platform: 'messenger', way: 'page' });
    if (!('method' in request)) throw new Error('the spec refused the request');
    const outcome = await client.call(creds, request, {});
    expect(outcome.kind).toBe('ok');
  } finally {
    await client.close();
  }
  const clientSpans = () => spanExporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
  await waitFor(() => clientSpans().length > 0, { what: 'the GET client span' });
  return String(clientSpans()[0].attributes['url.full']);
}

describe('GetUserProfile: the PSID on the Graph client span', () => {
  it('is left out of url.full by default, while Graph gets it', async () => {
    const url = await urlFullOf(false);
    expect(url).not.toContain(PSID);
    expect(url.startsWith(`${origin}/v25.0/{psid}?`)).toBe(true);
    expect(seenUrls[0]?.startsWith(`/v25.0/${PSID}?fields=first_name`)).toBe(true);
  });

  it('is shown with telemetry.recordRecipient', async () => {
    expect((await urlFullOf(true)).startsWith(`${origin}/v25.0/${PSID}?`)).toBe(true);
  });
});
