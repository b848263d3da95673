import { format } from 'node:util';
import { setLogger } from '@grpc/grpc-js';
import type { Logger } from './logger';

/**
 * Sends grpc-js's own log lines (by default `console.error`, on stderr, e.g. "E No address added…"
 * before a bind error the gateway reports itself) into the gateway's JSON log, at warn level.
 */
export function routeGrpcLogs(logger: Logger): void {
  const line = (...args: unknown[]) => logger.warn({ source: 'grpc-js' }, format(...args));
  setLogger({ error: line, info: line, debug: line });
}
