import type { RecordUpdate } from '../conversations/conversation-record';
import type { ConversationSend } from '../conversations/send-kind';
import type { RateClass } from '../delivery/delivery-types';
import type { Failure } from '../errors/failure';
import type { Malformed } from '../graph/from-graph';
import type { GraphRequest } from '../graph/graph-request';
import type { PageCredentials } from '../graph/page-credentials';
import type { Platform } from '../config/gateway-config';
import type { FieldViolation } from '../validate/field-violation';
import type { SuccessIds } from './call-log';

interface Codec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(bytes: Uint8Array): T;
}

/**
 * One RPC that calls Graph, declared: what the Graph-call core (graph-call.ts) needs to run it.
 * The core does the rest the same way for every RPC: the caller's key, the page's token and
 * appsecret_proof, the page limiter and its pauses, retries, the mapping of Graph's errors
 * through the catalogue, tracing and redaction. Access (which Page the caller must be granted)
 * is declared in src/server/method-access.ts.
 */
export interface GraphCallSpec<Req, Res> {
  /** The RPC's name (log lines, metrics, messages). */
  method: string;
  /** The Page the call acts as: its token and limiter bucket. */
  pageOf(req: Req): string;
  /** Every rule the request breaks; [] when valid. */
  /** What the request is called in an INVALID_REQUEST message (default: "<method> request"). */
  requestName?: string;
  validate(req: Req, isPageConfigured: (pageId: string) => boolean, platform?: Platform): FieldViolation[];
  /**
   * The rules of an Instagram account, checked with `validate` once the account is known to be
   * on Instagram: what Instagram does not support (reported with every other violation,
   * NOT_SUPPORTED_ON_INSTAGRAM), or `'unavailable'` for an RPC with no Instagram counterpart
   * (UNIMPLEMENTED NOT_AVAILABLE_ON_INSTAGRAM). Absent: Instagram takes the request as Messenger does.
   */
  instagram?: ((req: Req) => FieldViolation[]) | 'unavailable';
  /** What only Instagram has, refused (INVALID_REQUEST) for a Messenger Page. */
  messenger?: (req: Req) => FieldViolation[];
  /**
   * The Graph request. A Failure when building it finds the request at fault; a promise only when
   * building it reads the client's stream (an upload).
   */
  request(req: Req, account: AccountView): SpecRequest | Failure | Promise<SpecRequest | Failure>;
  /** Graph's answer as the RPC's response, or why it is not one. */
  fromGraph(body: Record<string, unknown>): Res | Malformed;
  /** Ids of a success worth a log field and span attribute. */
  describe?(res: Res): SuccessIds;
  /** Span attributes of the request (page, messaging type, recipient kind, ...); never a credential. */
  attributes(req: Req, recordRecipient: boolean): Record<string, string | number | boolean | undefined>;
  /** Which page bucket the call draws from. */
  rateClass(req: Req): RateClass;
  /**
   * true: Graph serving the request twice changes nothing (GET, DELETE), so a timeout or a lost
   * connection is retried too. false (a POST that acts): only answers that prove Graph did not act
   * are retried (retry-policy.ts). A multipart body streamed from the client is never sent twice.
   */
  safeToRetry: boolean;
  /**
   * A send to a person's conversation: the conversation policy checks it before Graph
   * (pages[].conversationPolicy) and the record learns its outcome. Undefined for a recipient
   * that names no person (user_ref, post, comment).
   */
  conversation?(req: Req): ConversationSend | undefined;
  /** The send went out although the policy (`warn`) expected Graph to refuse it: the response, marked. */
  markWarning?(res: Res, warning: Failure): Res;
  /** What Graph's success teaches the conversation record (who owns the thread after a pass, a take, a GetThreadOwner). */
  teaches?(req: Req, res: Res, nowMs: number): RecordUpdate | undefined;
  /** Present when the RPC takes an idempotency key: how its requests are compared and its answers stored. */
  idempotency?: IdempotencySpec<Req, Res>;
}

/** What a spec may know of the account when it builds its request: its platform and way in, never its token. */
export type AccountView = Pick<PageCredentials, 'pageId' | 'platform' | 'way'>;

/** A Graph request, and what its streamed body found wrong on the caller's side. */
export interface SpecRequest extends GraphRequest {
  /**
   * Checked after the call: a failure of the body the client streamed (too long, idle) that
   * overrides Graph's answer, since the request Graph got was cut short by the client.
   */
  bodyFailure?(): Failure | undefined;
}

export interface IdempotencySpec<Req, Res> {
  /** The request's bytes without its key: "the same request" is everything else. */
  fingerprint(req: Req): Uint8Array;
  /** How an answer is stored and replayed. */
  responseCodec: Codec<Res>;
}
