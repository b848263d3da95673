import { status } from '@grpc/grpc-js';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorReason } from '../../gen/messenger/v1/errors';
import type { CallBounds } from '../call/bounds';
import type { CallBudget } from '../delivery/call-budget';
import { gatewayFailure, type Failure } from '../errors/failure';
import { CONVERSATIONS_API_PER_SECOND } from '../limits/graph-limits';

/** The Conversations API budget (Redis keys `<prefix>budget:conversations:*`, messages): Meta's 2 calls per second per account. */
// The window is a little over Meta's second: calls spaced by the budget still reach Graph spaced by
// a second when the way there is slower for one than for the next.
export const CONVERSATIONS_BUDGET = { name: 'conversations', calls: CONVERSATIONS_API_PER_SECOND, windowMs: 1050 } as const;

// A read waits for a call of the budget this long at most: paging through a conversation at 2/s
// then just works; past it (other callers or a backfill hold the budget) the caller is told when.
const MAX_WAIT_MS = 2000;

/**
 * Takes one call of the account's Conversations API budget, waiting while one frees within
 * MAX_WAIT_MS and the caller's deadline; else the failure (Graph is not called).
 */
export async function takeConversationsCall(budget: CallBudget, pageId: string, bounds: CallBounds, now: () => number = Date.now): Promise<Failure | undefined> {
  const start = now();
  for (;;) {
    const answer = await budget.take(pageId);
    if (answer.ok) return undefined;
    const waited = now() - start;
    const deadlineLeft = bounds.deadline === undefined ? Infinity : bounds.deadline - now();
    if (waited + answer.retryAfterMs > MAX_WAIT_MS || answer.retryAfterMs >= deadlineLeft || bounds.signal?.aborted) {
      return conversationsBudgetExhausted(pageId, answer.retryAfterMs);
    }
    await sleep(answer.retryAfterMs);
  }
}

export function conversationsBudgetExhausted(pageId: string, retryAfterMs: number): Failure {
  return gatewayFailure(
    status.RESOURCE_EXHAUSTED,
    ErrorReason.CONVERSATIONS_BUDGET_EXHAUSTED,
    `page ${pageId} has spent its Conversations API budget (${CONVERSATIONS_BUDGET.calls} calls per second, Meta's limit, every replica together); a call is free again in ${Math.ceil(retryAfterMs)} ms; nothing was sent`,
    { retryAfterMs, metadata: { budget: String(CONVERSATIONS_BUDGET.calls), window_ms: String(CONVERSATIONS_BUDGET.windowMs) } },
  );
}
