import type { Metadata } from '@grpc/grpc-js';
import { CALLER_METADATA_KEY } from '../server/access-interceptor';

/** The authenticated caller's name, set by the access interceptor (undefined without caller authentication). */
export function callerOf(metadata: Metadata): string | undefined {
  const v = metadata.get(CALLER_METADATA_KEY)[0];
  return typeof v === 'string' ? v : undefined;
}
