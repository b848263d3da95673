import { ROOT_CONTEXT, type Context, type ContextManager } from '@opentelemetry/api';

/**
 * The SDK's context manager in the gateway: `context.with` makes a context active for the
 * synchronous extent of its callback only, with no AsyncLocalStorage. The gateway passes its
 * spans explicitly (server span → send pipeline → Graph client span; webhook span → events),
 * so nothing needs a context to survive an `await`, and AsyncLocalStorage's hooks ran on every
 * promise and callback of a traced process (bench/README.md has the A/B). Code that starts a
 * span after an `await` without passing its parent gets a root span: the tracing tests check
 * every parent the gateway sets.
 */
export class SyncContextManager implements ContextManager {
  private current: Context = ROOT_CONTEXT;

  active(): Context {
    return this.current;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    const previous = this.current;
    this.current = ctx;
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.current = previous;
    }
  }

  /** Functions run under `ctx` when called; anything else (an EventEmitter) is returned as it is. */
  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const fn = target as unknown as (...args: unknown[]) => unknown;
    const bound = (...args: unknown[]) => this.with(ctx, () => fn(...args));
    return bound as unknown as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.current = ROOT_CONTEXT;
    return this;
  }
}
