import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import {
  ConversationServiceClient,
  type GetConversationRequest,
  type GetConversationResponse,
  type GetThreadOwnerRequest,
  type GetThreadOwnerResponse,
  type GetUserProfileRequest,
  type GetUserProfileResponse,
  type PassThreadControlRequest,
  type PassThreadControlResponse,
  type RequestThreadControlRequest,
  type RequestThreadControlResponse,
  type TakeThreadControlRequest,
  type TakeThreadControlResponse,
} from '../../gen/messenger/v1/conversation';

type Unary<Req, Res> = (req: Partial<Req>, metadata?: Metadata) => Promise<Res>;

/** ConversationService over a real grpc-js channel, each RPC as a promise (10 s deadline). */
export interface ConversationClient {
  raw: ConversationServiceClient;
  pass: Unary<PassThreadControlRequest, PassThreadControlResponse>;
  take: Unary<TakeThreadControlRequest, TakeThreadControlResponse>;
  request: Unary<RequestThreadControlRequest, RequestThreadControlResponse>;
  owner: Unary<GetThreadOwnerRequest, GetThreadOwnerResponse>;
  profile: Unary<GetUserProfileRequest, GetUserProfileResponse>;
  conversation: Unary<GetConversationRequest, GetConversationResponse>;
  close(): void;
}

export function conversationClient(target: string, creds = credentials.createInsecure()): ConversationClient {
  const raw = new ConversationServiceClient(target, creds);
  const opts = () => ({ deadline: Date.now() + 10_000 });
  type Method<Req, Res> = (req: Req, md: Metadata, o: { deadline: number }, cb: (err: ServiceError | null, res?: Res) => void) => unknown;
  const call = <Req, Res>(m: Method<Req, Res>, defaults: Req): Unary<Req, Res> => (req, metadata = new Metadata()) =>
    new Promise<Res>((resolve, reject) => {
      m.call(raw, { ...defaults, ...req }, metadata, opts(), (err, res) => (err ? reject(err) : resolve(res!)));
    });
  return {
    raw,
    pass: call<PassThreadControlRequest, PassThreadControlResponse>(raw.passThreadControl, { pageId: '', recipientId: '', targetAppId: '', metadata: '', idempotencyKey: '' }),
    take: call<TakeThreadControlRequest, TakeThreadControlResponse>(raw.takeThreadControl, { pageId: '', recipientId: '', metadata: '', idempotencyKey: '' }),
    request: call<RequestThreadControlRequest, RequestThreadControlResponse>(raw.requestThreadControl, { pageId: '', recipientId: '', metadata: '', idempotencyKey: '' }),
    owner: call<GetThreadOwnerRequest, GetThreadOwnerResponse>(raw.getThreadOwner, { pageId: '', recipientId: '' }),
    profile: call<GetUserProfileRequest, GetUserProfileResponse>(raw.getUserProfile, { pageId: '', recipientId: '', fields: [] }),
    conversation: call<GetConversationRequest, GetConversationResponse>(raw.getConversation, { pageId: '', recipientId: '' }),
    close: () => raw.close(),
  };
}
