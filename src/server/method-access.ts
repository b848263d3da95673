import { ConversationServiceService } from '../../gen/messenger/v1/conversation';
import { EventServiceService, type StreamEventsRequest } from '../../gen/messenger/v1/events';
import { PageServiceService } from '../../gen/messenger/v1/page';
import { MessengerServiceService, type SendMessageRequest, type SendMessagesRequest, type SendSenderActionRequest, type UploadAttachmentRequest } from '../../gen/messenger/v1/service';

/**
 * How each RPC the gateway serves is authorized, declared per method (by its full path). The
 * access interceptor refuses any method without a declaration, so an RPC added later is
 * closed until someone says how its Page is found.
 */
export type MethodAccess =
  /**
   * Probes and tooling (health, reflection): no credentials, never counted against callers.
   * `watch`: a server stream that stays open (Health/Watch), bounded in number, in all and per connection.
   */
  | { kind: 'public'; watch?: true }
  /**
   * A caller's call for Pages: each request message names the Pages it acts for (none: this
   * message names none), and every one must be granted to the caller.
   */
  | {
      kind: 'page';
      pagesOf(message: unknown): readonly string[];
      /** Each request message is one send (SendMessages): the caller's rate counts messages, not the call. */
      perMessage?: true;
    };

const NONE: readonly string[] = [];

function page<T>(of: (message: T) => string | undefined): MethodAccess {
  return {
    kind: 'page',
    pagesOf: (message) => {
      const id = message === undefined || message === null ? undefined : of(message as T);
      return id ? [id] : NONE;
    },
  };
}

function pages<T>(of: (message: T) => readonly string[] | undefined): MethodAccess {
  return { kind: 'page', pagesOf: (message) => (message === undefined || message === null ? NONE : of(message as T) ?? NONE) };
}

/** A page method whose every request message is one send. */
function perMessage(access: MethodAccess): MethodAccess {
  return access.kind === 'page' ? { ...access, perMessage: true } : access;
}

const M = MessengerServiceService;
const E = EventServiceService;
const C = ConversationServiceService;
const PUBLIC: MethodAccess = { kind: 'public' };
/** Every PageService request names its Page in `page_id`. */
const PAGE_ID = page<{ pageId: string }>((m) => m.pageId);

/** The declarations of every method the gateway serves. */
export const METHOD_ACCESS: ReadonlyMap<string, MethodAccess> = new Map<string, MethodAccess>([
  [M.sendMessage.path, page<SendMessageRequest>((m) => m.pageId)],
  [M.sendSenderAction.path, page<SendSenderActionRequest>((m) => m.pageId)],
  // Every message of the stream is checked: each names its own Page.
  [M.sendMessages.path, perMessage(page<SendMessagesRequest>((m) => m.message?.pageId))],
  // The Page is in the first message (metadata); chunks name none.
  [M.uploadAttachment.path, page<UploadAttachmentRequest>((m) => (m.part?.$case === 'metadata' ? m.part.value.pageId : undefined))],
  // The Pages a consumer asks for are in its first message (subscribe); acks and nacks name
  // none. The handler narrows an empty list to the caller's Pages.
  [E.streamEvents.path, pages<StreamEventsRequest>((m) => m.subscribe?.pageIds)],
  // These name no Page: the handlers show and replay only the caller's Pages' events.
  [E.listDeadLetters.path, pages(() => NONE)],
  [E.replayDeadLetters.path, pages(() => NONE)],
  // Each names its Page; a person's conversation or profile is reached only through a granted Page.
  [C.passThreadControl.path, page<{ pageId: string }>((m) => m.pageId)],
  [C.takeThreadControl.path, page<{ pageId: string }>((m) => m.pageId)],
  [C.requestThreadControl.path, page<{ pageId: string }>((m) => m.pageId)],
  [C.getThreadOwner.path, page<{ pageId: string }>((m) => m.pageId)],
  [C.getUserProfile.path, page<{ pageId: string }>((m) => m.pageId)],
  [C.getConversation.path, page<{ pageId: string }>((m) => m.pageId)],
  // History and backfill: a conversation id, message id or backfill id is reached only through
  // its Page (a page_token or backfill id names its Page, checked by the handler).
  [C.listConversations.path, page<{ pageId: string }>((m) => m.pageId)],
  [C.listMessages.path, page<{ pageId: string }>((m) => m.pageId)],
  [C.getMessage.path, page<{ pageId: string }>((m) => m.pageId)],
  [C.backfillConversation.path, page<{ pageId: string }>((m) => m.pageId)],
  [C.backfillPage.path, page<{ pageId: string }>((m) => m.pageId)],
  [C.backfillStatus.path, page<{ pageId: string }>((m) => m.pageId)],
  // PageService: the Page named is the one whose personas, profile and templates are touched.
  ...Object.values(PageServiceService).map((m): [string, MethodAccess] => [m.path, PAGE_ID]),
  ['/grpc.health.v1.Health/Check', PUBLIC],
  ['/grpc.health.v1.Health/Watch', { kind: 'public', watch: true }],
  ['/grpc.health.v1.Health/List', PUBLIC],
  ['/grpc.reflection.v1.ServerReflection/ServerReflectionInfo', PUBLIC],
  ['/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo', PUBLIC],
]);
