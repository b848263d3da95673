import { status } from '@grpc/grpc-js';
import type { GraphError } from '../../gen/messenger/v1/errors';
import type { Logger } from '../log/logger';
import { recordSend } from '../telemetry/gateway-metrics';

/** What is known of one send when it ends: the source of its log line, span attributes and metrics. */
export interface SendRecord {
  method: string;
  page: string;
  /** The authenticated caller, when callers are configured. */
  caller?: string;
  code: status;
  startedAt: number;
  reason?: string;
  graph?: GraphError;
  messageId?: string;
  attachmentId?: string;
  bytes?: number;
  violations?: number;
  /** Graph certainly never received the request (so an idempotency claim may be released). */
  nothingSent?: boolean;
  /** Retries made after the first attempt. */
  resends?: number;
  /** Answered from the idempotency store. */
  replayed?: boolean;
}

/** The one log line of every send (never a credential), and its count in the metrics. */
export function logSend(logger: Logger, r: SendRecord): void {
  const code = status[r.code];
  recordSend(r.page, r.method, code);
  const level = r.code === status.OK ? 'info' : r.code === status.INTERNAL || r.code === status.UNKNOWN ? 'error' : 'warn';
  // At the usual production level (warn) a success logs nothing: build no line for it.
  if (!logger.isLevelEnabled(level)) return;
  const line = {
    method: r.method,
    caller: r.caller,
    page: r.page,
    grpc_code: code,
    reason: r.reason,
    graph_code: r.graph?.code,
    graph_subcode: r.graph?.errorSubcode || undefined,
    fbtrace_id: r.graph?.fbtraceId || undefined,
    message_id: r.messageId,
    attachment_id: r.attachmentId,
    bytes: r.bytes,
    violations: r.violations,
    resends: r.resends,
    replayed: r.replayed,
    latency_ms: Math.round((performance.now() - r.startedAt) * 100) / 100,
  };
  logger[level](line, level === 'info' ? 'send' : 'send failed');
}
