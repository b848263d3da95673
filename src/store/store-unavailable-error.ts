/**
 * A shared store (Redis) could not answer. The gateway must answer UNAVAILABLE: without the store it
 * cannot know whether a key was already sent, and sending anyway could deliver twice.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';

  constructor(operation: string, cause: unknown) {
    super(`delivery store unavailable during ${operation}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Runs a store operation, turning any failure into a StoreUnavailableError. */
export async function storeCall<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw err instanceof StoreUnavailableError ? err : new StoreUnavailableError(operation, err);
  }
}
