import { Metadata, ServerInterceptingCall, status, type ServerInterceptor } from '@grpc/grpc-js';
import { ErrorReason } from '../../gen/messenger/v1/errors';
import { gatewayFailure, type Failure } from '../errors/failure';
import type { Logger } from '../log/logger';
import { refuseCall } from '../service/rpc-edge';
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
  /** Calls in flight of one authenticated caller. */
  maxInFlightPerCaller: number;
  /**
   * A rate shared by every replica (Redis): resolves the wait in ms when the caller is over its rate,
   * undefined when a token was taken. Without it (or when it fails) the rate is this process's own.
   */
  sharedRate?: (caller: Caller) => Promise<number | undefined>;
  /** Open Health/Watch streams: in the whole gateway, and per client connection. */
  maxWatchStreams: number;
  maxWatchStreamsPerConnection: number;
  logger: Logger;
}

function overRateFailure(c: Caller, wait: number): Failure {
  return gatewayFailure(status.RESOURCE_EXHAUSTED, ErrorReason.CALLER_RATE_LIMITED, `caller ${c.name} is over its ${c.ratePerSecond} messages/s`, { retryAfterMs: wait });
}

/**
 * Who may call and how much, before any handler runs: caller authentication (API key or
 * mTLS), the pages each caller may use, per-caller rates, and a bound on calls in flight.
 */
export function accessInterceptor(opts: AccessOptions): ServerInterceptor {
  let inFlight = 0;
  const buckets = new Map<string, { tokens: number; at: number }>();

  const byCaller = new Map<string, number>();
  const shared = opts.sharedRate;
  /** The wait in ms when the caller is over its rate (a promise only with a shared rate), else undefined. */
  const takeToken = (caller: Caller): number | undefined | Promise<number | undefined> => {
    if (caller.ratePerSecond <= 0) return undefined;
    if (!shared) return overRate(caller);
    // Redis unreachable: this replica's own bucket still holds the caller to its rate here.
    return shared(caller).catch(() => overRate(caller));
  };
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
              refuseCall(call, gatewayFailure(status.RESOURCE_EXHAUSTED, ErrorReason.TOO_MANY_CALLS, `the gateway is at its bound of ${bound}; use Check, or fewer Watch streams`, { retryAfterMs: 1000 }));
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
    let callerCounted: string | undefined;
    let refused = false;
    let cancelled = false;
    /** A call of a page takes its token with its first message, once the page is granted: a refused call sends nothing. */
    let tokenDue = false;
    const release = () => {
      if (counted) {
        counted = false;
        inFlight--;
      }
      if (callerCounted !== undefined) {
        const n = (byCaller.get(callerCounted) ?? 1) - 1;
        if (n <= 0) byCaller.delete(callerCounted);
        else byCaller.set(callerCounted, n);
        callerCounted = undefined;
      }
    };
    const perMessage = access?.kind === 'page' && access.perMessage === true;
    const refuse = (failure: Failure, fields?: Record<string, unknown>) => {
      refused = true;
      release();
      refuseCall(call, failure, { logger: opts.logger, method: path, caller: caller?.name, fields });
    };
    // Only streams of sends need it: no closure for the unary hot path.
    const holdForToken = !perMessage ? undefined : (c: Caller, message: unknown, msgNext: (m: unknown) => void): void => {
      const attempt = () => {
        if (refused || cancelled) return;
        const wait = takeToken(c);
        if (wait instanceof Promise) void wait.then(after);
        else after(wait);
      };
      const after = (wait: number | undefined) => {
        if (refused || cancelled) return;
        if (wait === undefined) msgNext(message);
        else setTimeout(attempt, Math.max(1, wait));
      };
      attempt();
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
              // One caller may hold its share of the calls in flight, never all of them.
              const mine = byCaller.get(caller.name) ?? 0;
              if (mine >= opts.maxInFlightPerCaller) {
                return refuse(gatewayFailure(status.RESOURCE_EXHAUSTED, ErrorReason.TOO_MANY_CALLS, `caller ${caller.name} is at its share of ${opts.maxInFlightPerCaller} calls in flight`, { retryAfterMs: 1000 }));
              }
              byCaller.set(caller.name, mine + 1);
              callerCounted = caller.name;
              // A stream of sends counts each message instead, a call of a page its first message (onReceiveMessage).
              if (access.kind === 'page') tokenDue = !perMessage && caller.ratePerSecond > 0;
              else {
                const c = caller;
                const wait = takeToken(c);
                if (wait instanceof Promise) {
                  void wait.then((w) => {
                    if (refused) return;
                    if (w !== undefined) refuse(overRateFailure(c, w));
                    else mdNext(metadata);
                  });
                  return;
                }
                if (wait !== undefined) return refuse(overRateFailure(c, wait));
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
              // Each message of a bulk stream is a send: it waits for the caller's token. grpc-js
              // reads the next message only once this one is passed on, so order and flow control hold.
              if (holdForToken && caller.ratePerSecond > 0) return holdForToken(caller, message, msgNext);
              if (tokenDue) {
                tokenDue = false;
                const c = caller;
                const wait = takeToken(c);
                if (wait instanceof Promise) {
                  void wait.then((w) => {
                    if (refused || cancelled) return;
                    if (w !== undefined) refuse(overRateFailure(c, w));
                    else msgNext(message);
                  });
                  return;
                }
                if (wait !== undefined) return refuse(overRateFailure(c, wait));
              }
            }
            msgNext(message);
          },
          onCancel() {
            cancelled = true;
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
