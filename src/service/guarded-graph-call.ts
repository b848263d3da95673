import type { handleUnaryCall } from '@grpc/grpc-js';
import type { CallBounds } from '../call/bounds';
import { failed, type CallResult } from './call-result';
import { runGraphCall, storeUnavailable, type CallTrace } from './graph-call';
import type { GraphCallSpec } from './graph-call-spec';
import { unaryEdge } from './rpc-edge';
import type { ServiceDeps } from './service-deps';
import { requestFailure } from './platform-check';

/** What runs around one Graph call of a PageService RPC. */
export interface CallGuard<Req, Res> {
  /**
   * After validation, before the Graph call: undefined lets the call go; a result answers
   * instead (a persona of another Page, a spent profile budget) and Graph is not called.
   */
  before?(req: Req, bounds: CallBounds, trace: CallTrace): Promise<CallResult<never> | undefined>;
  /**
   * After Graph's success: what the gateway learns from it (which Page owns a persona), or the
   * answer to give instead (Graph's empty list for a template name is NOT_FOUND).
   */
  after?(req: Req, res: Res): CallResult<Res> | void;
}

/**
 * A unary RPC that is one Graph call of the core with a check before it: validate first (an
 * invalid request costs no lookup and no budget), then the guard, then the core, all inside the
 * RPC edge (which logs, annotates and encodes).
 */
export function guardedGraphCall<Req, Res extends object>(deps: ServiceDeps, spec: GraphCallSpec<Req, Res>, guard: CallGuard<Req, Res>): handleUnaryCall<Req, Res> {
  return unaryEdge<Req, Res>(
    deps,
    { name: spec.method, describe: spec.describe, recover: (err, span) => storeUnavailable(deps, spec.method, err, span) },
    spec.pageOf,
    async (call, bounds, span) => {
      const req = call.request;
      const trace: CallTrace = { span, parent: span };
      const refusal = requestFailure(deps, spec, req);
      if (refusal) return failed(refusal);
      const refused = await guard.before?.(req, bounds, trace);
      if (refused) return refused;
      const result = await runGraphCall(deps, spec, req, '', bounds, trace);
      if (!result.ok || !guard.after) return result;
      return guard.after(req, result.response) ?? result;
    },
  );
}
