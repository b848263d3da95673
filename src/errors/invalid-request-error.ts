import { status, type ServiceError } from '@grpc/grpc-js';
import type { FieldViolation } from '../validate/field-violation';
import { richError } from './rich-status';

/** `google.rpc.ErrorInfo.domain` of errors the gateway raises itself. */
export const GATEWAY_DOMAIN = 'messenger-gateway';

/** INVALID_ARGUMENT listing every violation in a `google.rpc.BadRequest`; nothing reached Graph. */
export function invalidRequestError(what: string, violations: FieldViolation[]): ServiceError {
  const first = violations.slice(0, 3).map((v) => `${v.field}: ${v.description}`).join('; ');
  const more = violations.length > 3 ? `; and ${violations.length - 3} more` : '';
  const message = `invalid ${what} (${violations.length} violation${violations.length === 1 ? '' : 's'}): ${first}${more}`;
  return richError(status.INVALID_ARGUMENT, message, [
    { type: 'ErrorInfo', value: { reason: 'INVALID_REQUEST', domain: GATEWAY_DOMAIN, metadata: { violations: String(violations.length) } } },
    { type: 'BadRequest', value: { fieldViolations: violations.map((v) => ({ field: v.field, description: v.description, reason: '', localizedMessage: undefined })) } },
  ]);
}
