import { status } from '@grpc/grpc-js';
import type { Span } from '@opentelemetry/api';
import { reasonName } from '../errors/failure';
import { writeVettedLine, type Logger } from '../log/logger';
import { redactRepeated, redactSecrets } from '../redaction/secret-redaction';
import { recordSend } from '../telemetry/gateway-metrics';
import type { CallResult } from './call-result';

/** The longest page id a log line repeats: Page ids have at most 20 digits, a hostile one can have 4 MB. */
const MAX_LOGGED_PAGE = 64;

/** What the edge knows of a call when it begins; immutable (what it ends with comes in its CallResult). */
export interface CallStart {
  readonly method: string;
  /** The Page named by the request ('' until a stream names it). */
  readonly page: string;
  /** The authenticated caller, when callers are configured. */
  readonly caller: string | undefined;
  readonly startedAt: number;
  /** The call's server span, whose ids the log line carries. */
  readonly span: Span | undefined;
}

/** Ids of a success worth a log field and span attribute. */
export interface SuccessIds {
  messageId?: string;
  attachmentId?: string;
}

/** The one log line of every send (never a credential: the logger redacts), and its count in the metrics. */
/** `idsRedacted`: the ids were read from the answer as redacted for the caller (so not redacted again here). */
export function logCall(logger: Logger, start: CallStart, result: CallResult<unknown>, ids: SuccessIds | undefined, idsRedacted = false): void {
  const f = result.ok ? undefined : result.failure;
  const code = f ? status[f.code] : 'OK';
  const rawPage = result.page ?? start.page;
  const page = rawPage.length > MAX_LOGGED_PAGE ? `${rawPage.slice(0, MAX_LOGGED_PAGE)}…` : rawPage;
  recordSend(page, start.method, code);
  const level = !f ? 'info' : f.code === status.INTERNAL || f.code === status.UNKNOWN ? 'error' : 'warn';
  // At the usual production level (warn) a success logs nothing: build no line for it.
  if (!logger.isLevelEnabled(level)) return;
  // Every string a request, the config or Graph chose is redacted here, field by field (a Page id
  // and a caller repeat: a set lookup), so that the line skips the pass over its whole text; the
  // rest are the gateway's own names and numbers.
  const line = {
    method: start.method,
    caller: start.caller === undefined ? undefined : redactRepeated(start.caller),
    page: redactRepeated(page),
    grpc_code: code,
    reason: f ? reasonName(f.reason) : undefined,
    graph_code: f?.graph?.code,
    graph_subcode: f?.graph?.errorSubcode || undefined,
    fbtrace_id: f?.graph?.fbtraceId ? redactSecrets(f.graph.fbtraceId) : undefined,
    message_id: ids?.messageId === undefined || idsRedacted ? ids?.messageId : redactSecrets(ids.messageId),
    attachment_id: ids?.attachmentId === undefined || idsRedacted ? ids?.attachmentId : redactSecrets(ids.attachmentId),
    bytes: result.bytes,
    violations: f?.violations?.length,
    resends: result.resends || undefined,
    replayed: result.replayed || undefined,
    latency_ms: Math.round((performance.now() - start.startedAt) * 100) / 100,
    // Set here rather than spread from a second object: one object per line, of one shape.
    trace_id: undefined as string | undefined,
    span_id: undefined as string | undefined,
  };
  if (start.span) {
    const context = start.span.spanContext();
    line.trace_id = context.traceId;
    line.span_id = context.spanId;
  }
  writeVettedLine(logger, level, line, level === 'info' ? 'send' : 'send failed');
}
