import { status, type ServiceError } from '@grpc/grpc-js';
import type { Status } from '../../gen/google/rpc/status';
import type { GraphError } from '../../gen/messenger/v1/errors';
import { decodeStatus, decodeStatusDetails, type DecodedDetails } from '../errors/decode-status-details';
import { STATUS_DETAILS_KEY } from '../errors/status-encoder';
import { EXIT } from './exit-codes';

/** A failed call as the commands print it: the gRPC code and message, and every detail decoded. */
export interface CallErrorReport {
  code: string;
  message: string;
  errorInfo?: DecodedDetails['errorInfo'];
  retryDelay?: string;
  /** Graph's error, without the texts Graph left empty (most errors have no errorUserTitle or errorUserMsg). */
  graphError?: Partial<GraphError>;
  fieldViolations?: string[];
  hint?: string;
}

/** The report of a call's error (ServiceError from grpc-js). */
export function callErrorReport(err: ServiceError, target: string): CallErrorReport {
  const report = reportOf(err.code, err.details, decodeStatusDetails(err.metadata));
  if (isUnreachable(err)) report.hint = `no gateway answered at ${target}: is it running (npm start)? Another address: --target HOST:PORT or GATEWAY_TARGET`;
  return report;
}

/** The report of a `google.rpc.Status` (a failed message of a SendMessages stream). */
export function statusReport(s: Status): CallErrorReport {
  return reportOf(s.code, s.message, decodeStatus(s));
}

/** The exit code for a failed call: 3 when no gateway answered, else 1. */
export function exitCodeOf(err: ServiceError): number {
  return isUnreachable(err) ? EXIT.UNREACHABLE : EXIT.CALL_FAILED;
}

/** Whether the error is grpc-js's own "no connection": the gateway's own UNAVAILABLE always carries details. */
export function isUnreachable(err: ServiceError): boolean {
  return err.code === status.UNAVAILABLE && err.metadata?.get(STATUS_DETAILS_KEY).length === 0;
}

/** Whether a thrown value is a grpc-js call error. */
export function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number' && 'metadata' in err;
}

function reportOf(code: number, message: string, d: DecodedDetails): CallErrorReport {
  const delay = d.retryInfo?.retryDelay;
  return {
    code: status[code] ?? String(code),
    message,
    errorInfo: d.errorInfo,
    retryDelay: delay ? `${Number(delay.seconds) + delay.nanos / 1e9}s` : undefined,
    graphError: d.graphError && withoutEmptyTexts(d.graphError),
    fieldViolations: d.badRequest?.fieldViolations.map((v) => `${v.field}: ${v.description}`),
  };
}

function withoutEmptyTexts(g: GraphError): Partial<GraphError> {
  const out: Partial<GraphError> = { ...g };
  for (const key of Object.keys(out) as (keyof GraphError)[]) if (out[key] === '') delete out[key];
  return out;
}

/**
 * A client command's failed call: a gRPC error is printed on stderr with every detail decoded and
 * its exit code returned; anything else is a bug and thrown on.
 */
export function reportFailedCall(err: unknown, target: string): number {
  if (!isServiceError(err)) throw err;
  process.stderr.write(`${JSON.stringify(callErrorReport(err, target), null, 2)}\n`);
  return exitCodeOf(err);
}
