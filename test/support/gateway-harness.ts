import { MessagingType } from '../../gen/messenger/v1/enums';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { Writable } from 'node:stream';
import { DEFAULT_CONFIG, type GatewayConfig, type PageConfig } from '../../src/config/gateway-config';
import { createLogger } from '../../src/log/logger';
import { startGateway, type Gateway } from '../../src/server/gateway-server';
import type { Sandbox } from '../../src/sandbox/sandbox-server';
import {
  MessengerServiceClient,
  SendMessageRequest,
  SendSenderActionRequest,
  type SendMessageResponse,
  type SendSenderActionResponse,
  type DeepPartial,
} from '../../gen/messenger/v1/service';

/** A real gateway on a loopback port with a real grpc-js client, and every log line it wrote. */
export interface TestGateway {
  gateway: Gateway;
  client: MessengerServiceClient;
  /** The embedded sandbox (sandbox mode only). */
  sandbox?: Sandbox;
  logs: string[];
  target: string;
  send(req: DeepPartial<SendMessageRequest>, opts?: { deadlineMs?: number; metadata?: Metadata }): Promise<SendMessageResponse>;
  /** Like send, with the call's trailing metadata (the replay marker lives there). */
  sendWithTrailer(req: DeepPartial<SendMessageRequest>, opts?: { deadlineMs?: number; metadata?: Metadata }): Promise<{ res?: SendMessageResponse; err?: ServiceError; trailer?: Metadata }>;
  action(req: DeepPartial<SendSenderActionRequest>, opts?: { deadlineMs?: number }): Promise<SendSenderActionResponse>;
  close(): Promise<void>;
}


export interface HarnessOptions {
  pages?: PageConfig[];
  sandbox?: boolean;
  graph?: Partial<GatewayConfig['graph']>;
  shutdownGraceMs?: number;
  delivery?: Partial<GatewayConfig['delivery']>;
  store?: GatewayConfig['store'];
  /** Anything else of the config (callers, tls, limits, listen, insecure). */
  extra?: Partial<GatewayConfig>;
  /** Client credentials (default: plaintext). */
  clientCredentials?: ReturnType<typeof credentials.createInsecure>;
  /** Client channel options (e.g. the TLS target name override). */
  clientOptions?: Record<string, string | number>;
}

/** Starts a gateway (sandbox mode unless told otherwise) on 127.0.0.1:0. */
export async function startTestGateway(opts: HarnessOptions = {}): Promise<TestGateway> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const config: GatewayConfig = {
    ...DEFAULT_CONFIG,
    listen: '127.0.0.1:0',
    pages: opts.pages ?? [],
    sandbox: opts.sandbox ?? true,
    graph: { ...DEFAULT_CONFIG.graph, ...opts.graph },
    shutdownGraceMs: opts.shutdownGraceMs ?? 2000,
    delivery: { ...DEFAULT_CONFIG.delivery, ...opts.delivery },
    store: opts.store ?? {},
    log: { level: 'debug' },
    ...opts.extra,
  };
  const gateway = await startGateway(config, createLogger('debug', sink));
  const target = `127.0.0.1:${gateway.port}`;
  const client = new MessengerServiceClient(target, opts.clientCredentials ?? credentials.createInsecure(), opts.clientOptions);
  const deadline = (ms?: number) => ({ deadline: Date.now() + (ms ?? 10_000) });
  return {
    gateway,
    client,
    sandbox: gateway.sandbox,
    logs,
    target,
    send: (req, o = {}) =>
      new Promise((resolve, reject) => {
        client.sendMessage(SendMessageRequest.fromPartial(req), o.metadata ?? new Metadata(), deadline(o.deadlineMs), (err: ServiceError | null, res?: SendMessageResponse) => (err ? reject(err) : resolve(res!)));
      }),
    sendWithTrailer: (req, o = {}) =>
      new Promise((resolve) => {
        // The callback and the 'status' event (which carries the trailer) come in either order.
        let outcome: { res?: SendMessageResponse; err?: ServiceError } | undefined;
        let trailer: Metadata | undefined;
        const done = () => outcome && trailer && resolve({ ...outcome, trailer });
        const call = client.sendMessage(SendMessageRequest.fromPartial(req), o.metadata ?? new Metadata(), deadline(o.deadlineMs), (err: ServiceError | null, res?: SendMessageResponse) => {
          outcome = err ? { err } : { res };
          done();
        });
        call.on('status', (s) => {
          trailer = s.metadata;
          done();
        });
      }),
    action: (req, o = {}) =>
      new Promise((resolve, reject) => {
        client.sendSenderAction(SendSenderActionRequest.fromPartial(req), new Metadata(), deadline(o.deadlineMs), (err: ServiceError | null, res?: SendSenderActionResponse) => (err ? reject(err) : resolve(res!)));
      }),
    close: async () => {
      client.close();
      await gateway.shutdown(500);
    },
  };
}

/** Awaits a promise that must reject with a gRPC error, and returns the error. */
export async function grpcError(p: Promise<unknown>): Promise<ServiceError> {
  try {
    await p;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error('the call succeeded but an error was expected');
}

/** A text message to a PSID, the commonest request. */
export function textTo(recipientId: string, text = 'hello', pageId = '1001'): DeepPartial<SendMessageRequest> {
  return {
    pageId,
    recipient: { identifier: { $case: 'id', value: recipientId } },
    message: { content: { $case: 'text', value: text } },
    messagingType: MessagingType.MESSAGING_TYPE_RESPONSE,
  };
}
