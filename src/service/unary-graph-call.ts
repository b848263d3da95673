import type { handleUnaryCall, Metadata } from '@grpc/grpc-js';
import type { GraphCallSpec } from './graph-call-spec';
import { IDEMPOTENCY_KEY_HEADER, startGraphCall, storeUnavailable } from './graph-call';
import { unaryEdge } from './rpc-edge';
import type { ServiceDeps } from './service-deps';

/** The idempotency key of a call: the field, else the `idempotency-key` metadata alias. */
export function idempotencyKeyOf(fieldValue: string, metadata: Metadata): string {
  if (fieldValue) return fieldValue;
  const alias = metadata.get(IDEMPOTENCY_KEY_HEADER)[0];
  return typeof alias === 'string' ? alias : '';
}

/**
 * A unary RPC that is one Graph call: its spec run by the Graph-call core inside the edge. The
 * core answers synchronously when it can (a refused request) and with one promise otherwise,
 * whose rejection (the delivery store went away) the edge turns into its answer.
 */
export function unaryGraphCall<Req extends object, Res extends object>(deps: ServiceDeps, spec: GraphCallSpec<Req, Res>): handleUnaryCall<Req, Res> {
  return unaryEdge<Req, Res>(
    deps,
    { name: spec.method, describe: spec.describe, recover: (err, span) => storeUnavailable(deps, spec.method, err, span) },
    spec.pageOf,
    // Only a spec with `idempotency` has a request with an `idempotency_key` field (reads have none).
    (call, bounds, span) => startGraphCall(deps, spec, call.request, spec.idempotency ? idempotencyKeyOf((call.request as { idempotencyKey?: string }).idempotencyKey ?? '', call.metadata) : '', bounds, { span, parent: span }),
  );
}
