import { credentials, makeGenericClientConstructor, Metadata, Server, ServerCredentials, status, type ServiceError, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { createLogger } from '../../src/log/logger';
import { accessInterceptor, CallerRegistry } from '../../src/server/access-interceptor';
import { CallerAuthenticator, generateApiKey, hashApiKey } from '../../src/server/caller-auth';
import { METHOD_ACCESS, type MethodAccess } from '../../src/server/method-access';
import { MessengerServiceService } from '../../gen/messenger/v1/service';

// A real grpc-js server with the gateway's access interceptor and two methods of a service
// the gateway does not know: one declared, one not (as a newly added RPC would be).
const bytes = { serialize: (b: Buffer) => b, deserialize: (b: Buffer) => b };
const definition = {
  Declared: { path: '/test.v1.Extra/Declared', requestStream: false, responseStream: false, requestSerialize: bytes.serialize, requestDeserialize: bytes.deserialize, responseSerialize: bytes.serialize, responseDeserialize: bytes.deserialize },
  Undeclared: { path: '/test.v1.Extra/Undeclared', requestStream: false, responseStream: false, requestSerialize: bytes.serialize, requestDeserialize: bytes.deserialize, responseSerialize: bytes.serialize, responseDeserialize: bytes.deserialize },
};
const KEY = generateApiKey();

let server: Server | undefined;
afterEach(() => {
  server?.forceShutdown();
  server = undefined;
});

async function start(access: ReadonlyMap<string, MethodAccess>, seen: Array<string | undefined>) {
  const callers = new CallerRegistry();
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  server = new Server({
    interceptors: [accessInterceptor({
      auth: new CallerAuthenticator([{ name: 'orders', apiKeyHash: hashApiKey(KEY), pages: ['1001'], ratePerSecond: 0 }]),
      access, callers, maxInFlightCalls: 100, maxInFlightPerCaller: 100, maxWatchStreams: 100, maxWatchStreamsPerConnection: 100, logger: createLogger('silent', sink),
    })],
  });
  const answer = (call: { metadata: Metadata }, cb: (err: null, res: Buffer) => void) => {
    seen.push(callers.nameOf(call.metadata));
    cb(null, Buffer.from('ok'));
  };
  server.addService(definition, { Declared: answer, Undeclared: answer } as unknown as UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) => server!.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  const Client = makeGenericClientConstructor(definition, 'Extra');
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as Record<string, (req: Buffer, md: Metadata, cb: (err: ServiceError | null, res?: Buffer) => void) => void>;
  const call = (method: string, md = new Metadata()) => new Promise<{ err: ServiceError | null; res?: Buffer }>((resolve) => client[method](Buffer.from('x'), md, (err, res) => resolve({ err, res })));
  return { call };
}

const withKey = (name = 'authorization', value = `Bearer ${KEY}`) => {
  const md = new Metadata();
  md.set(name, value);
  return md;
};

describe('authorization is declared per RPC', () => {
  it('a method without a declaration is refused (UNIMPLEMENTED, METHOD_NOT_DECLARED) even for an authenticated caller; a declared one passes', async () => {
    const seen: Array<string | undefined> = [];
    const access = new Map(METHOD_ACCESS);
    access.set(definition.Declared.path, { kind: 'page', pagesOf: () => [] });
    const { call } = await start(access, seen);
    const refused = await call('Undeclared', withKey());
    expect(refused.err?.code).toBe(status.UNIMPLEMENTED);
    expect(decodeStatusDetails(refused.err!.metadata).errorInfo).toMatchObject({ reason: 'METHOD_NOT_DECLARED', domain: 'messenger-gateway' });
    const ok = await call('Declared', withKey());
    expect(ok.err).toBeNull();
    expect(seen).toEqual(['orders']);
  });

  it('every method the gateway serves is declared', () => {
    for (const m of Object.values(MessengerServiceService)) expect(METHOD_ACCESS.get(m.path)?.kind, m.path).toBe('page');
  });

  it("the caller's identity comes from the server, never from what the client sends", async () => {
    const seen: Array<string | undefined> = [];
    const access = new Map(METHOD_ACCESS);
    access.set(definition.Declared.path, { kind: 'public' });
    const { call } = await start(access, seen);
    // A public method skips authentication: a client naming itself in metadata names nobody.
    const md = withKey('messenger-caller', 'orders');
    expect((await call('Declared', md)).err).toBeNull();
    expect(seen).toEqual([undefined]);
  });
});
