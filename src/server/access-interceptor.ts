import { Metadata, ServerInterceptingCall, status, type ServerInterceptor } from '@grpc/grpc-js';
import { ErrorReason } from '../../gen/messenger/v1/errors';
import { gatewayFailure, reasonName, type Failure } from '../errors/failure';
import { encodeFailure } from '../errors/status-encoder';
import type { Logger } from '../log/logger';
import { mayUsePage, type Caller, type CallerAuthenticator, type PeerCertificateLike } from './caller-auth';
import type { MethodAccess } from './method-access';

/**
 * Who made each call, as the access check found it: keyed by the call's metadata object,
 * which grpc-js hands from the interceptor to the handler unchanged. Owned by the server, so
 * nothing a client sends can name a caller.
 */
export class CallerRegistry {
  private readonly byCall = new WeakMap<Metadata, Caller>();

  set(metadata: Metadata, caller: Caller): void {
    this.byCall.set(metadata, caller);
  }

  nameOf(metadata: Metadata): string | undefined {
    return this.byCall.get(metadata)?.name;
  }

  /** The authenticated caller of a call; undefined without caller authentication. */
  callerOf(metadata: Metadata): Caller | undefined {
    return this.byCall.get(metadata);
  }
}

export interface AccessOptions {
  auth: CallerAuthenticator;
  /** Every method served, with how it is authorized; others are refused. */
  access: ReadonlyMap<string, MethodAccess>;
  callers: CallerRegistry;
  maxInFlightCalls: number;
  /** Open Health/Watch streams: in the whole gateway, and per client connection. */
  maxWatchStreams: number;
  maxWatchStreamsPerConnection: number;
  logger: Logger;
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

  // Open Watch streams, in all and by peer (one client connection: its address and port).
  let watches = 0;
  const watchesByPeer = new Map<string, number>();
  const watchBounded = (call: Parameters<ServerInterceptor>[1]) => {
    let peer: string | undefined;
    const release = () => {
      if (peer === undefined) return;
      watches--;
      const n = (watchesByPeer.get(peer) ?? 1) - 1;
      if (n <= 0) watchesByPeer.delete(peer);
      else watchesByPeer.set(peer, n);
      peer = undefined;
    };
    return new ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata: Metadata, mdNext) {
            const from = call.getPeer();
            const mine = watchesByPeer.get(from) ?? 0;
            if (watches >= opts.maxWatchStreams || mine >= opts.maxWatchStreamsPerConnection) {
              const bound = watches >= opts.maxWatchStreams ? `${opts.maxWatchStreams} open Health Watch streams in all` : `${opts.maxWatchStreamsPerConnection} open Health Watch streams per connection`;
              call.sendStatus(encodeFailure(gatewayFailure(status.RESOURCE_EXHAUSTED, ErrorReason.TOO_MANY_CALLS, `the gateway is at its bound of ${bound}; use Check, or fewer Watch streams`, { retryAfterMs: 1000 })));
              return;
            }
            peer = from;
            watches++;
            watchesByPeer.set(from, mine + 1);
            mdNext(metadata);
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

  return (descriptor, call) => {
    const path = descriptor.path;
    const access = opts.access.get(path);
    if (access?.kind === 'public') return access.watch ? watchBounded(call) : new ServerInterceptingCall(call);
    let counted = false;
    let caller: Caller | undefined;
    let refused = false;
    const release = () => {
      if (counted) {
        counted = false;
        inFlight--;
      }
    };
    const refuse = (failure: Failure, fields: Record<string, unknown> = {}) => {
      refused = true;
      release();
      opts.logger.warn({ method: path.slice(0, 200), grpc_code: status[failure.code], caller: caller?.name, reason: reasonName(failure.reason), ...fields }, 'call refused');
      call.sendStatus(encodeFailure(failure));
    };
    return new ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata: Metadata, mdNext) {
            if (!access) {
              return refuse(gatewayFailure(status.UNIMPLEMENTED, ErrorReason.METHOD_NOT_DECLARED, 'this method has no access rule in the gateway and is refused'));
            }
            if (inFlight >= opts.maxInFlightCalls) {
              return refuse(gatewayFailure(status.RESOURCE_EXHAUSTED, ErrorReason.TOO_MANY_CALLS, `the gateway is at its bound of ${opts.maxInFlightCalls} calls in flight`, { retryAfterMs: 1000 }));
            }
            inFlight++;
            counted = true;
            if (opts.auth.enabled) {
              const peer = call.getAuthContext().sslPeerCertificate as PeerCertificateLike | undefined;
              const result = opts.auth.authenticate(metadata, peer && Object.keys(peer).length > 0 ? peer : undefined);
              // The key has done its job: no handler, log or span ever sees it.
              metadata.remove('authorization');
              if (!result.ok) return refuse(gatewayFailure(status.UNAUTHENTICATED, ErrorReason.CALLER_UNAUTHENTICATED, result.why));
              caller = result.caller;
              opts.callers.set(metadata, caller);
              const wait = overRate(caller);
              if (wait !== undefined) {
                return refuse(gatewayFailure(status.RESOURCE_EXHAUSTED, ErrorReason.CALLER_RATE_LIMITED, `caller ${caller.name} is over its ${caller.ratePerSecond} calls/s`, { retryAfterMs: wait }));
              }
            }
            mdNext(metadata);
          },
          onReceiveMessage(message: unknown, msgNext) {
            if (refused) return;
            if (caller && access?.kind === 'page') {
              for (const page of access.pagesOf(message)) {
                if (page === '' || mayUsePage(caller, page)) continue;
                const shown = page.length > 64 ? `${page.slice(0, 64)}…` : page;
                return refuse(gatewayFailure(status.PERMISSION_DENIED, ErrorReason.PAGE_NOT_GRANTED, `caller ${caller.name} may not use page ${shown}`), { page: shown });
              }
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
