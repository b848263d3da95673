/**
 * The contracts of safe delivery: idempotency stores, page rate limiters and the retry
 * policy. Implementations: memory (embedded default) and Redis (many replicas).
 */
import type { Failure } from '../errors/failure';
import type { CancelSignal } from '../call/bounds';

// The options are configuration: their shapes live with the config.
export type { IdempotencyOptions, RateLimitOptions, RetryOptions } from '../config/gateway-config';

/** What a finished send left behind, replayed to later calls with the same key. */
export type StoredOutcome =
  /** The encoded response message (SendMessageResponse or SendSenderActionResponse), base64. */
  | { kind: 'response'; bytes: string }
  /** The failure, as data: replays go through the same edge encoder as the first answer. */
  | { kind: 'failure'; failure: Failure }
  /** Written by gateways before failures were stored as data: code, message and the `grpc-status-details-bin` bytes, base64. */
  | { kind: 'error'; code: number; message: string; details: string };

export type ClaimResult =
  /** This call owns the key: it must send, then `complete` (or `release` if nothing was sent). */
  | { kind: 'claimed' }
  /** A finished send with the same key and request: replay it. */
  | { kind: 'done'; outcome: StoredOutcome }
  /** Another call with the same key and request is sending now: `wait` for it. */
  | { kind: 'in-flight' }
  /** The key was used for a different request. */
  | { kind: 'mismatch' };

export type WaitResult =
  | { kind: 'done'; outcome: StoredOutcome }
  /** The owner released the key without sending (or its claim expired): claim again. */
  | { kind: 'released' }
  | { kind: 'mismatch' }
  /** The deadline passed (or the signal aborted) while the other call was still in flight. */
  | { kind: 'timeout' };

/** Where idempotency keys live. `key` is already scoped (page and caller key); all operations are atomic. */
export interface IdempotencyStore {
  claim(key: string, fingerprint: string): Promise<ClaimResult>;
  complete(key: string, fingerprint: string, outcome: StoredOutcome): Promise<void>;
  release(key: string, fingerprint: string): Promise<void>;
  /** Keeps a pending claim of this request alive for `ttlMs` more (a send still running); nothing if it is done or not ours. */
  extend(key: string, fingerprint: string, ttlMs: number): Promise<void>;
  wait(key: string, fingerprint: string, deadline: number, signal?: CancelSignal): Promise<WaitResult>;
  close(): Promise<void>;
}


/** Which of a page's buckets a send draws from: Meta limits audio and video much lower. */
/**
 * Which of an account's buckets a call draws from, as Meta documents them per Page and per
 * Instagram account: `default` (text, links, reactions, stickers, templates, sender actions,
 * everything else), `media` (audio and video), `private_reply` (a private reply to a comment or
 * post), `conversations` (the Conversations API).
 */
export type RateClass = 'default' | 'media' | 'private_reply' | 'conversations';

export type AcquireResult =
  | { ok: true }
  /** No token within the wait bound (queue full, deadline, or the page is paused): retry after this long. */
  | { ok: false; retryAfterMs: number; reason: 'QUEUE_FULL' | 'WAIT_EXCEEDED' | 'PAGE_PAUSED' };

/** Per-page token buckets with a bounded wait queue, and pauses when Graph says so. */
export interface PageRateLimiter {
  /** A token at once when one is free (no promise: most sends take this path), else a wait. */
  acquire(pageId: string, cls: RateClass, deadline: number | undefined, signal?: CancelSignal): AcquireResult | Promise<AcquireResult>;
  /** Stop sending for this page until `untilEpochMs` (usage headers past the threshold, or a rate-limit error). */
  pause(pageId: string, untilEpochMs: number): Promise<void>;
  close(): Promise<void>;
}


