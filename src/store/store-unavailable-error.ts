/**
 * A store could not answer (Redis down, or the store was closed): nothing is known to be stored.
 * One error for every store, so each caller has one case to map: a send answers UNAVAILABLE (without
 * the store the gateway cannot know whether a key was already sent, and sending anyway could deliver
 * twice), the webhook answers 503 (Meta retries), a stream of events ends with UNAVAILABLE.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';

  /** The error of `store` failing during `operation`; the message names all three. */
  static during(store: string, operation: string, cause: unknown): StoreUnavailableError {
    return new StoreUnavailableError(`${store} unavailable during ${operation}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
