import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { Any } from '../../gen/google/protobuf/any';
import { BadRequest, ErrorInfo, RetryInfo } from '../../gen/google/rpc/error_details';
import { Status } from '../../gen/google/rpc/status';
import { GraphError } from '../../gen/messenger/v1/errors';

/** The trailer every gRPC rich-error library (Go, Python, Java, buf curl) decodes. */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
/** The retry delay, in milliseconds, for gRPC clients' built-in retry policies. */
export const RETRY_PUSHBACK_KEY = 'grpc-retry-pushback-ms';

/** One `google.rpc.Status` detail, before packing into `Any`. */
export type Detail =
  | { type: 'ErrorInfo'; value: ErrorInfo }
  | { type: 'RetryInfo'; value: RetryInfo }
  | { type: 'BadRequest'; value: BadRequest }
  | { type: 'GraphError'; value: GraphError };

function pack(detail: Detail): Any {
  switch (detail.type) {
    case 'ErrorInfo':
      return { typeUrl: 'type.googleapis.com/google.rpc.ErrorInfo', value: Buffer.from(ErrorInfo.encode(detail.value).finish()) };
    case 'RetryInfo':
      return { typeUrl: 'type.googleapis.com/google.rpc.RetryInfo', value: Buffer.from(RetryInfo.encode(detail.value).finish()) };
    case 'BadRequest':
      return { typeUrl: 'type.googleapis.com/google.rpc.BadRequest', value: Buffer.from(BadRequest.encode(detail.value).finish()) };
    case 'GraphError':
      return { typeUrl: 'type.googleapis.com/messenger.v1.GraphError', value: Buffer.from(GraphError.encode(detail.value).finish()) };
  }
}

/** A grpc-js error carrying a `google.rpc.Status` with the given details in its trailer. */
export function richError(code: status, message: string, details: Detail[]): ServiceError {
  const metadata = new Metadata();
  const encoded = Status.encode({ code, message, details: details.map(pack) }).finish();
  metadata.set(STATUS_DETAILS_KEY, Buffer.from(encoded));
  // gRPC's own retry (a service config's retryPolicy) cannot read RetryInfo; this trailer it honours.
  const retry = details.find((d): d is Extract<Detail, { type: 'RetryInfo' }> => d.type === 'RetryInfo')?.value.retryDelay;
  if (retry) metadata.set(RETRY_PUSHBACK_KEY, pushbackMs(retry));
  const err = new Error(message) as ServiceError;
  err.code = code;
  err.details = message;
  err.metadata = metadata;
  return err;
}

/** The `grpc-retry-pushback-ms` value of a RetryInfo delay. */
export function pushbackMs(delay: { seconds: string; nanos: number }): string {
  return String(Number(delay.seconds) * 1000 + Math.round(delay.nanos / 1e6));
}

/** A `google.protobuf.Duration` of whole or fractional seconds. */
export function retryAfter(seconds: number): Detail {
  const whole = Math.floor(seconds);
  return { type: 'RetryInfo', value: { retryDelay: { seconds: String(whole), nanos: Math.round((seconds - whole) * 1e9) } } };
}
