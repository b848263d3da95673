import type { Metadata } from '@grpc/grpc-js';
import { BadRequest, ErrorInfo, RetryInfo } from '../../gen/google/rpc/error_details';
import { Status } from '../../gen/google/rpc/status';
import { GraphError } from '../../gen/messenger/v1/errors';
import { STATUS_DETAILS_KEY } from './rich-status';

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
  const out: DecodedDetails = { unknown: [] };
  const raw = metadata?.get(STATUS_DETAILS_KEY)[0];
  if (!(raw instanceof Buffer)) return out;
  out.status = Status.decode(raw);
  for (const any of out.status.details) {
    const name = any.typeUrl.slice(any.typeUrl.lastIndexOf('/') + 1);
    if (name === 'google.rpc.ErrorInfo') out.errorInfo = ErrorInfo.decode(any.value);
    else if (name === 'google.rpc.RetryInfo') out.retryInfo = RetryInfo.decode(any.value);
    else if (name === 'google.rpc.BadRequest') out.badRequest = BadRequest.decode(any.value);
    else if (name === 'messenger.v1.GraphError') out.graphError = GraphError.decode(any.value);
    else out.unknown.push(any.typeUrl);
  }
  return out;
}
