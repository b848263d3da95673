import type { Metadata } from '@grpc/grpc-js';
import { BadRequest, ErrorInfo, RetryInfo } from '../../gen/google/rpc/error_details';
import { Status } from '../../gen/google/rpc/status';
import { errorReasonFromJSON, GraphError } from '../../gen/messenger/v1/errors';
import type { Failure } from './failure';
import { STATUS_DETAILS_KEY } from './status-encoder';

/** The details of a gateway error, decoded: what a TypeScript caller reads instead of parsing strings. */
export interface DecodedDetails {
  status?: Status;
  errorInfo?: ErrorInfo;
  retryInfo?: RetryInfo;
  badRequest?: BadRequest;
  graphError?: GraphError;
  /** Type URLs this decoder does not know. */
  unknown: string[];
}

/** Decodes the `grpc-status-details-bin` trailer of a failed call. */
export function decodeStatusDetails(metadata: Metadata | undefined): DecodedDetails {
  const raw = metadata?.get(STATUS_DETAILS_KEY)[0];
  return raw instanceof Buffer ? decodeStatus(Status.decode(raw)) : { unknown: [] };
}

/** The details of a `google.rpc.Status` (a trailer's, or a SendMessages item's `error`). */
export function decodeStatus(status: Status): DecodedDetails {
  const out: DecodedDetails = { unknown: [], status };
  for (const any of status.details) {
    const name = any.typeUrl.slice(any.typeUrl.lastIndexOf('/') + 1);
    if (name === 'google.rpc.ErrorInfo') out.errorInfo = ErrorInfo.decode(any.value);
    else if (name === 'google.rpc.RetryInfo') out.retryInfo = RetryInfo.decode(any.value);
    else if (name === 'google.rpc.BadRequest') out.badRequest = BadRequest.decode(any.value);
    else if (name === 'messenger.v1.GraphError') out.graphError = GraphError.decode(any.value);
    else out.unknown.push(any.typeUrl);
  }
  return out;
}

/**
 * A Failure read back from a stored `google.rpc.Status`: idempotency outcomes recorded before
 * failures were stored as data replay through this, and then through the edge encoder again.
 */
export function failureFromStatus(status: Status, nothingSent = false): Failure {
  const d = decodeStatus(status);
  const delay = d.retryInfo?.retryDelay;
  return {
    code: status.code,
    reason: errorReasonFromJSON(d.errorInfo?.reason ?? 'ERROR_REASON_UNSPECIFIED'),
    message: status.message,
    nothingSent,
    ...(delay ? { retryAfterMs: Number(delay.seconds) * 1000 + delay.nanos / 1e6 } : {}),
    ...(d.badRequest ? { violations: d.badRequest.fieldViolations.map((v) => ({ field: v.field, description: v.description })) } : {}),
    ...(d.graphError ? { graph: d.graphError } : {}),
    ...(d.errorInfo ? { metadata: d.errorInfo.metadata } : {}),
  };
}
