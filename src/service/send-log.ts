import { status } from '@grpc/grpc-js';
import { reasonName, type Failure } from '../errors/failure';
import type { Span } from '@opentelemetry/api';
import type { Logger } from '../log/logger';
import { recordSend } from '../telemetry/gateway-metrics';
import { traceFields } from '../telemetry/log-trace-fields';

/** The longest page id a log line repeats: Page ids have at most 20 digits, a hostile one can have 4 MB. */
const MAX_LOGGED_PAGE = 64;

/** What is known of one send when it ends: the source of its log line, span attributes and metrics. */
export interface SendRecord {
  method: string;
  page: string;
  /** The authenticated caller, when callers are configured. */
  caller?: string;
  code: status;
  startedAt: number;
  /** Why it failed (unset on success). */
  failure?: Failure;
  messageId?: string;
  attachmentId?: string;
  bytes?: number;
  /** Retries made after the first attempt. */
  resends?: number;
  /** Answered from the idempotency store. */
  replayed?: boolean;
  /** The call's server span, whose ids the log line carries. */
  span?: Span;
}


/** The one log line of every send (never a credential: the logger redacts), and its count in the metrics. */
export function logSend(logger: Logger, r: SendRecord): void {
  const code = status[r.code];
  const page = r.page.length > MAX_LOGGED_PAGE ? `${r.page.slice(0, MAX_LOGGED_PAGE)}…` : r.page;
  recordSend(page, r.method, code);
  const level = r.code === status.OK ? 'info' : r.code === status.INTERNAL || r.code === status.UNKNOWN ? 'error' : 'warn';
  // At the usual production level (warn) a success logs nothing: build no line for it.
  if (!logger.isLevelEnabled(level)) return;
  const f = r.failure;
  const line = {
    method: r.method,
    caller: r.caller,
    page,
    grpc_code: code,
    reason: f ? reasonName(f.reason) : undefined,
    graph_code: f?.graph?.code,
    graph_subcode: f?.graph?.errorSubcode || undefined,
    fbtrace_id: f?.graph?.fbtraceId || undefined,
    message_id: r.messageId,
    attachment_id: r.attachmentId,
    bytes: r.bytes,
    violations: f?.violations?.length,
    resends: r.resends,
    replayed: r.replayed,
    latency_ms: Math.round((performance.now() - r.startedAt) * 100) / 100,
    ...traceFields(r.span),
  };
  logger[level](line, level === 'info' ? 'send' : 'send failed');
}
