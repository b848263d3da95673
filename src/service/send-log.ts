import { status } from '@grpc/grpc-js';
import type { Logger } from '../log/logger';

/** The one log line of every send: what was asked, how it ended, how long it took. Never a credential. */
export interface SendRecord {
  method: string;
  page: string;
  code: status;
  startedAt: number;
  reason?: string;
  graphCode?: number;
  graphSubcode?: number;
  fbtraceId?: string;
  messageId?: string;
  attachmentId?: string;
  bytes?: number;
}

export function logSend(logger: Logger, r: SendRecord): void {
  const line = {
    method: r.method,
    page: r.page,
    grpc_code: status[r.code],
    reason: r.reason,
    graph_code: r.graphCode,
    graph_subcode: r.graphSubcode || undefined,
    fbtrace_id: r.fbtraceId || undefined,
    message_id: r.messageId,
    attachment_id: r.attachmentId,
    bytes: r.bytes,
    latency_ms: Math.round((performance.now() - r.startedAt) * 100) / 100,
  };
  if (r.code === status.OK) logger.info(line, 'send');
  else if (r.code === status.INTERNAL || r.code === status.UNKNOWN) logger.error(line, 'send failed');
  else logger.warn(line, 'send failed');
}
