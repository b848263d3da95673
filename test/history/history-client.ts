import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { ConversationServiceClient } from '../../gen/messenger/v1/conversation';
import type { Event } from '../../gen/messenger/v1/events';
import {
  BackfillConversationRequest, BackfillPageRequest, BackfillStatusRequest, GetMessageRequest, ListConversationsRequest, ListMessagesRequest,
  type BackfillConversationResponse, type BackfillPageResponse, type BackfillStatusResponse, type GetMessageResponse, type ListConversationsResponse, type ListMessagesResponse,
} from '../../gen/messenger/v1/history';

type Unary<Req, Res> = (req: Partial<Req>, metadata?: Metadata) => Promise<Res>;

/** The history and backfill RPCs of ConversationService, each as a promise (60 s deadline: a read may wait for the 2/s budget). */
export interface HistoryClient {
  listConversations: Unary<ListConversationsRequest, ListConversationsResponse>;
  listMessages: Unary<ListMessagesRequest, ListMessagesResponse>;
  getMessage: Unary<GetMessageRequest, GetMessageResponse>;
  backfillConversation: Unary<BackfillConversationRequest, BackfillConversationResponse>;
  backfillPage: Unary<BackfillPageRequest, BackfillPageResponse>;
  backfillStatus: Unary<BackfillStatusRequest, BackfillStatusResponse>;
  close(): void;
}

export function historyClient(target: string, creds = credentials.createInsecure()): HistoryClient {
  const raw = new ConversationServiceClient(target, creds);
  type Method<Req, Res> = (req: Req, md: Metadata, o: { deadline: number }, cb: (err: ServiceError | null, res?: Res) => void) => unknown;
  const call = <Req, Res>(m: Method<Req, Res>, make: (p: Partial<Req>) => Req): Unary<Req, Res> => (req, metadata = new Metadata()) =>
    new Promise<Res>((resolve, reject) => {
      m.call(raw, make(req), metadata, { deadline: Date.now() + 60_000 }, (err, res) => (err ? reject(err) : resolve(res!)));
    });
  return {
    listConversations: call(raw.listConversations, (p) => ListConversationsRequest.fromPartial(p)),
    listMessages: call(raw.listMessages, (p) => ListMessagesRequest.fromPartial(p)),
    getMessage: call(raw.getMessage, (p) => GetMessageRequest.fromPartial(p)),
    backfillConversation: call(raw.backfillConversation, (p) => BackfillConversationRequest.fromPartial(p)),
    backfillPage: call(raw.backfillPage, (p) => BackfillPageRequest.fromPartial(p)),
    backfillStatus: call(raw.backfillStatus, (p) => BackfillStatusRequest.fromPartial(p)),
    close: () => raw.close(),
  };
}

/** At most how many calls of `times` (epoch ms) fall in any window of `windowMs`. */
export function maxInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

/** A conversation's events as a consumer got them: message ids, and a backfill's markers as `<started>` and `<ended>`. */
export function midsOf(events: readonly Event[], psid: string): string[] {
  return events
    .filter((e) => e.senderId === psid || e.recipientId === psid)
    .map((e) => (e.kind?.$case === 'message' ? e.kind.value.mid : e.kind?.$case === 'backfillStarted' ? '<started>' : e.kind?.$case === 'backfillEnded' ? '<ended>' : `<${e.kind?.$case ?? 'none'}>`));
}
