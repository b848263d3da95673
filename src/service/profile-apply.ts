import type { MessengerProfile, SetMessengerProfileRequest } from '../../gen/messenger/v1/page';
import { invalidRequest, type Failure } from '../errors/failure';
import { fromGraphProfile, toGraphProfile } from '../graph/messenger-profile-json';
import { planProfile, type ProfilePlan } from '../graph/messenger-profile-plan';
import { validateSetMessengerProfile } from '../validate/validate-messenger-profile';
import type { CallResult } from './call-result';

/**
 * How the profile-as-code loop reaches a Page's Messenger Profile: in the gateway, the specs run
 * by the Graph-call core; in `npm run profile`, PageService over gRPC.
 */
export interface ProfilePort {
  /** Takes `n` calls of the Page's budget at once, or says why not (the gateway's port; a gRPC client leaves it to the gateway). */
  reserve?(n: number): Promise<CallResult<never> | undefined>;
  read(): Promise<CallResult<MessengerProfile>>;
  write(req: SetMessengerProfileRequest): Promise<CallResult<unknown>>;
  remove(fields: string[]): Promise<CallResult<unknown>>;
}

export interface ApplyOutcome {
  pageId: string;
  /** Undefined when the live profile could not be read. */
  plan?: ProfilePlan;
  /** Whether the plan's writes were made (false for a diff, or with nothing to write). */
  applied: boolean;
  failure?: Failure;
}

/**
 * Reads the live profile, plans the difference with the profile as code, and (with `apply`)
 * writes only that: one POST for what is added or changed, one DELETE for what is removed. The
 * writes' budget is taken at once before the first write, so a plan past the budget writes
 * nothing; a plan Graph would refuse is refused before any write.
 */
export async function applyProfile(port: ProfilePort, pageId: string, desired: Readonly<Record<string, unknown>>, apply: boolean): Promise<ApplyOutcome> {
  const readBudget = await port.reserve?.(1);
  if (readBudget && !readBudget.ok) return { pageId, applied: false, failure: readBudget.failure };
  const live = await port.read();
  if (!live.ok) return { pageId, applied: false, failure: live.failure };
  const plan = planProfile(desired, toGraphProfile(live.response));
  if (!apply || plan.writes === 0) return { pageId, plan, applied: false };
  const setReq: SetMessengerProfileRequest | undefined = plan.set ? { pageId, ...fromGraphProfile(plan.set) } : undefined;
  if (setReq) {
    const violations = validateSetMessengerProfile(setReq, () => true);
    if (violations.length > 0) return { pageId, plan, applied: false, failure: invalidRequest(`the messengerProfile of page ${pageId}`, violations) };
  }
  const writeBudget = await port.reserve?.(plan.writes);
  if (writeBudget && !writeBudget.ok) return { pageId, plan, applied: false, failure: writeBudget.failure };
  if (setReq) {
    const written = await port.write(setReq);
    if (!written.ok) return { pageId, plan, applied: false, failure: written.failure };
  }
  if (plan.remove.length > 0) {
    const removed = await port.remove(plan.remove);
    if (!removed.ok) return { pageId, plan, applied: false, failure: removed.failure };
  }
  return { pageId, plan, applied: true };
}
