import { Metadata, ServerInterceptingCall, status, type ServerInterceptor, type ServiceError } from '@grpc/grpc-js';
import { gatewayError } from '../errors/gateway-error';
import type { Logger } from '../log/logger';
import { mayUsePage, type Caller, type CallerAuthenticator, type PeerCertificateLike } from './caller-auth';

/** Request metadata carrying the authenticated caller's name to the handlers (set only by the gateway). */
export const CALLER_METADATA_KEY = 'messenger-caller';

export interface AccessOptions {
  auth: CallerAuthenticator;
  maxInFlightCalls: number;
  logger: Logger;
}

/** The page a request message acts for, by RPC; undefined when the message names none. */
function pageOf(path: string, message: unknown): string | undefined {
  const m = message as Record<string, unknown> | undefined;
  if (!m) return undefined;
  if (path.endsWith('/SendMessage') || path.endsWith('/SendSenderAction')) return m.pageId as string | undefined;
  if (path.endsWith('/SendMessages')) return (m.message as { pageId?: string } | undefined)?.pageId;
  if (path.endsWith('/UploadAttachment')) {
    const part = m.part as { $case: string; value: { pageId?: string } } | undefined;
    return part?.$case === 'metadata' ? part.value.pageId : undefined;
  }
  return undefined;
}

/** Calls that probes and tooling make: never authenticated, never counted. */
function exempt(path: string): boolean {
  return path.startsWith('/grpc.health.v1.') || path.startsWith('/grpc.reflection.');
}

/**
 * Who may call and how much, before any handler runs: caller authentication (API key or
 * mTLS), the pages each caller may use, per-caller rates, and a bound on calls in flight.
 */
export function accessInterceptor(opts: AccessOptions): ServerInterceptor {
  let inFlight = 0;
  const buckets = new Map<string, { tokens: number; at: number }>();

  const overRate = (caller: Caller): number | undefined => {
    if (caller.ratePerSecond <= 0) return undefined;
    const now = Date.now();
    const b = buckets.get(caller.name) ?? { tokens: caller.ratePerSecond, at: now };
    b.tokens = Math.min(caller.ratePerSecond, b.tokens + ((now - b.at) / 1000) * caller.ratePerSecond);
    b.at = now;
    buckets.set(caller.name, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return undefined;
    }
    return Math.ceil(((1 - b.tokens) / caller.ratePerSecond) * 1000);
  };

  return (descriptor, call) => {
    const path = descriptor.path;
    if (exempt(path)) return new ServerInterceptingCall(call);
    let counted = false;
    let caller: Caller | undefined;
    let refused = false;
    const release = () => {
      if (counted) {
        counted = false;
        inFlight--;
      }
    };
    const refuse = (err: ServiceError, fields: Record<string, unknown>) => {
      refused = true;
      release();
      opts.logger.warn({ method: path, grpc_code: status[err.code], caller: caller?.name, ...fields }, 'call refused');
      call.sendStatus({ code: err.code, details: err.details, metadata: err.metadata });
    };
    return new ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata: Metadata, mdNext) {
            // Only the gateway names the caller, whatever the client sent.
            metadata.remove(CALLER_METADATA_KEY);
            if (inFlight >= opts.maxInFlightCalls) {
              return refuse(gatewayError(status.RESOURCE_EXHAUSTED, 'TOO_MANY_CALLS', `the gateway is at its bound of ${opts.maxInFlightCalls} calls in flight`, 1000), { reason: 'TOO_MANY_CALLS' });
            }
            inFlight++;
            counted = true;
            if (opts.auth.enabled) {
              const peer = call.getAuthContext().sslPeerCertificate as PeerCertificateLike | undefined;
              const result = opts.auth.authenticate(metadata, peer && Object.keys(peer).length > 0 ? peer : undefined);
              // The key has done its job: no handler, log or span ever sees it.
              metadata.remove('authorization');
              if (!result.ok) return refuse(gatewayError(status.UNAUTHENTICATED, 'CALLER_UNAUTHENTICATED', result.why), { reason: 'CALLER_UNAUTHENTICATED' });
              caller = result.caller;
              metadata.set(CALLER_METADATA_KEY, caller.name);
              const wait = overRate(caller);
              if (wait !== undefined) {
                return refuse(gatewayError(status.RESOURCE_EXHAUSTED, 'CALLER_RATE_LIMITED', `caller ${caller.name} is over its ${caller.ratePerSecond} calls/s`, wait), { reason: 'CALLER_RATE_LIMITED' });
              }
            }
            mdNext(metadata);
          },
          onReceiveMessage(message: unknown, msgNext) {
            if (refused) return;
            const page = caller ? pageOf(path, message) : undefined;
            if (caller && page !== undefined && page !== '' && !mayUsePage(caller, page)) {
              return refuse(gatewayError(status.PERMISSION_DENIED, 'PAGE_NOT_GRANTED', `caller ${caller.name} may not send for page ${page}`), { reason: 'PAGE_NOT_GRANTED', page });
            }
            msgNext(message);
          },
          onCancel() {
            release();
          },
        });
      },
      sendStatus(s, next) {
        release();
        next(s);
      },
    });
  };
}
