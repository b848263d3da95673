import { status } from '@grpc/grpc-js';
import { errorReasonToJSON } from '../../gen/messenger/v1/errors';
import { classifyGraphError } from '../errors/graph-error-mapping';
import type { SendOutcome } from '../sandbox/sandbox-observer';

/** The gRPC status a gateway's caller gets for a sandbox answer, by the gateway's own mapping (docs/errors.md). */
export interface CallerStatus {
  /** e.g. `FAILED_PRECONDITION`. */
  code: string;
  /** The `ErrorInfo.reason`, e.g. `RECIPIENT_UNAVAILABLE`. */
  reason: string;
  /** The gateway retries this answer (within the caller's deadline): the caller may still get a success. */
  retried: boolean;
}

/** The caller's status for a failed answer; undefined for a success. */
export function callerStatusOf(outcome: SendOutcome): CallerStatus | undefined {
  switch (outcome.kind) {
    case 'ok':
      return undefined;
    case 'graph-error': {
      const e = outcome.error;
      const cls = classifyGraphError(e.code, e.error_subcode ?? 0, e.is_transient);
      return { code: status[cls.grpcCode], reason: errorReasonToJSON(cls.reason), retried: cls.retryable };
    }
    case 'http-status':
      return outcome.status >= 500
        ? { code: 'UNAVAILABLE', reason: 'GRAPH_UNAVAILABLE', retried: false }
        : { code: 'UNKNOWN', reason: 'GRAPH_BAD_RESPONSE', retried: false };
    case 'malformed':
      return { code: 'UNKNOWN', reason: 'GRAPH_BAD_RESPONSE', retried: false };
    case 'no-answer':
      return { code: 'DEADLINE_EXCEEDED', reason: 'GRAPH_TIMEOUT', retried: false };
  }
}
