import type { Span } from '@opentelemetry/api';
import type { ConversationPolicy, Platform } from '../config/gateway-config';
import type { Failure } from '../errors/failure';
import { reasonName } from '../errors/failure';
import type { Logger } from '../log/logger';
import { recordPolicyDecision } from '../telemetry/gateway-metrics';
import { annotateConversation } from '../telemetry/send-span';
import { OTHER, type ConversationRecord, type RecordUpdate } from './conversation-record';
import type { ConversationRecords } from './conversation-records';
import { allowanceAt } from './conversation-state';
import type { ConversationSend } from './send-kind';
import { policyRefusal } from './send-policy';


/** What the policy made of a send that is not simply allowed. */
export type PolicyVerdict = { refused: Failure } | { warned: Failure };

/** Graph's subcodes for "outside the window" (Messenger's, its old wording, Instagram's). */
const OUTSIDE_WINDOW_SUBCODES: ReadonlySet<number> = new Set([2018278, 2018065, 2534022]);
/** Graph's "another app owns the thread" subcode. */
const OTHER_OWNER_SUBCODE = 2018300;

/**
 * The conversation policy of every send, and what the gateway learns from its calls. Run by
 * the Graph-call core for the specs that name a conversation. With the memory store the
 * check answers at once (no promise, no allocation when the send is allowed).
 */
export class ConversationGuard {
  /** Told of each send the policy refused, with the Graph body it would have sent (the sandbox inbox shows it in place). */
  onRefused?: (pageId: string, body: Record<string, unknown>, failure: Failure) => void;

  constructor(
    readonly records: ConversationRecords,
    private readonly policyOf: (pageId: string) => ConversationPolicy,
    /** The account's platform: what is left after the window, and Graph's code, differ on Instagram. */
    private readonly platformOf: (pageId: string) => Platform,
    private readonly logger: Logger,
  ) {}

  /** undefined: the send goes out as it is; a verdict: refused, or to be marked. */
  check(pageId: string, send: ConversationSend, span: Span | undefined): PolicyVerdict | undefined | Promise<PolicyVerdict | undefined> {
    const policy = this.policyOf(pageId);
    if (policy === 'off') {
      annotateConversation(span, policy, 'unchecked', 'unknown');
      return undefined;
    }
    const now = Date.now();
    const got = this.records.get(pageId, send.person, now);
    // The records cannot be read (Redis): the gateway cannot know, and the send goes out, not silently.
    if (got instanceof Promise) return got.then((r) => this.judge(pageId, send, policy, r, now, span), (err: unknown) => this.unreadable(pageId, send, policy, err, now, span));
    return this.judge(pageId, send, policy, got, now, span);
  }

  /** A refused send, told to `onRefused` (never the send's answer if it throws). */
  refused(pageId: string, body: object | undefined, failure: Failure): void {
    if (!this.onRefused || body === undefined) return;
    try {
      this.onRefused(pageId, body as Record<string, unknown>, failure);
    } catch (err) {
      this.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'conversation policy: the observer of refusals failed');
    }
  }

  /** What a send's outcome teaches: Graph accepted it, or refused it as outside the window, or as another app's thread. Never awaited by the send. */
  learnFromSend(pageId: string, person: string, failure: Failure | undefined): void {
    const now = Date.now();
    let update: RecordUpdate;
    if (!failure) update = { pageId, person, sendMs: now };
    else if (failure.graph && OUTSIDE_WINDOW_SUBCODES.has(failure.graph.errorSubcode)) update = { pageId, person, windowRefusedMs: now };
    else if (failure.graph && failure.graph.errorSubcode === OTHER_OWNER_SUBCODE) update = { pageId, person, owner: OTHER, ownerMs: now };
    else return;
    void this.learn([update]);
  }

  /**
   * Folds facts in; a store fault is logged, never the caller's answer. The promise (Redis)
   * settles once they are in: a pass or take awaits it, so that the caller's next send, on any
   * replica, meets the new owner; a send's own facts are not awaited.
   */
  learn(updates: readonly RecordUpdate[]): void | Promise<void> {
    try {
      const done = this.records.apply(updates, Date.now());
      if (done instanceof Promise) return done.catch((err: unknown) => this.storeFault(err));
    } catch (err) {
      this.storeFault(err);
    }
  }

  private judge(pageId: string, send: ConversationSend, policy: ConversationPolicy, r: ConversationRecord | undefined, now: number, span: Span | undefined): PolicyVerdict | undefined {
    if (r === undefined) {
      // Never seen: the gateway cannot know (it may have started receiving after the person wrote).
      annotateConversation(span, policy, 'unknown', 'unknown');
      return undefined;
    }
    const platform = this.platformOf(pageId);
    const refusal = policyRefusal(r, send.kind, now, platform);
    if (!refusal) {
      annotateConversation(span, policy, 'allowed', allowanceAt(r, now, platform));
      return undefined;
    }
    const reason = reasonName(refusal.reason);
    if (policy === 'enforce') {
      annotateConversation(span, policy, 'refused', allowanceAt(r, now, platform));
      recordPolicyDecision(pageId, reason, 'refused');
      return { refused: { ...refusal, message: `${refusal.message}. Refused before Graph (conversation policy enforce); nothing was sent` } };
    }
    annotateConversation(span, policy, 'warned', allowanceAt(r, now, platform));
    recordPolicyDecision(pageId, reason, 'warned');
    this.logger.warn({ page_id: pageId, reason, policy }, `conversation policy (warn): sent anyway: ${refusal.message}`);
    return { warned: refusal };
  }

  /** The record could not be read: judged as unknown (it goes out), and logged, since the policy may have refused it. */
  private unreadable(pageId: string, send: ConversationSend, policy: ConversationPolicy, err: unknown, now: number, span: Span | undefined): PolicyVerdict | undefined {
    this.logger.warn({ page_id: pageId, policy, err: err instanceof Error ? err.message : String(err) }, 'conversation policy: the record could not be read (Redis); the send goes out unchecked');
    return this.judge(pageId, send, policy, undefined, now, span);
  }

  private storeFault(err: unknown): void {
    this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'conversation records: could not record a fact');
  }
}
