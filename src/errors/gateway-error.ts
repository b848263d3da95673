import { status, type ServiceError } from '@grpc/grpc-js';
import { GATEWAY_DOMAIN } from './invalid-request-error';
import { retryAfter, richError, type Detail } from './rich-status';

/** An error the gateway raises itself (domain `messenger-gateway`), with a RetryInfo when waiting helps. */
export function gatewayError(code: status, reason: string, message: string, retryAfterMs?: number, metadata: Record<string, string> = {}): ServiceError {
  const details: Detail[] = [{ type: 'ErrorInfo', value: { reason, domain: GATEWAY_DOMAIN, metadata } }];
  if (retryAfterMs !== undefined) details.push(retryAfter(Math.max(retryAfterMs, 1) / 1000));
  return richError(code, message, details);
}
