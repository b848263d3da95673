import { status } from '@grpc/grpc-js';
import { ErrorReason } from '../../gen/messenger/v1/errors';
import { gatewayFailure, type Failure } from '../errors/failure';
import { PROFILE_CALLS_PER_WINDOW, PROFILE_WINDOW_MS } from '../limits/graph-limits';
import type { CallBudget } from '../delivery/call-budget';
import { failed, type CallResult } from './call-result';

/** The budget's name (Redis keys, messages). */
export const PROFILE_BUDGET = { name: 'profile', calls: PROFILE_CALLS_PER_WINDOW, windowMs: PROFILE_WINDOW_MS } as const;

/** Takes `n` calls of the Page's Messenger Profile budget, or answers PROFILE_BUDGET_EXHAUSTED (Graph is not called). */
export async function takeProfileBudget(budget: CallBudget, pageId: string, n = 1): Promise<CallResult<never> | undefined> {
  const answer = await budget.take(pageId, n);
  return answer.ok ? undefined : failed(profileBudgetExhausted(pageId, answer.retryAfterMs, n));
}

export function profileBudgetExhausted(pageId: string, retryAfterMs: number, n = 1): Failure {
  return gatewayFailure(
    status.RESOURCE_EXHAUSTED,
    ErrorReason.PROFILE_BUDGET_EXHAUSTED,
    `page ${pageId} has spent its Messenger Profile budget (${PROFILE_BUDGET.calls} calls per ${PROFILE_BUDGET.windowMs / 60_000} minutes, Meta's limit); ${n > 1 ? `${n} calls are` : 'a call is'} free again in ${Math.ceil(retryAfterMs / 1000)} s; nothing was sent`,
    { retryAfterMs, metadata: { budget: String(PROFILE_BUDGET.calls), window_ms: String(PROFILE_BUDGET.windowMs) } },
  );
}
