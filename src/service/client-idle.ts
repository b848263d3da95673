import { status } from '@grpc/grpc-js';
import { ErrorReason } from '../../gen/messenger/v1/errors';
import { gatewayFailure, type Failure } from '../errors/failure';

/** DEADLINE_EXCEEDED CLIENT_STREAM_IDLE: the client, not Graph, was the slow side. */
export function clientIdleFailure(idleMs: number, what: string): Failure {
  return gatewayFailure(status.DEADLINE_EXCEEDED, ErrorReason.CLIENT_STREAM_IDLE,
    `the client sent nothing on this ${what} for ${idleMs} ms (limits.streamIdleMs); the stream was ended`, { metadata: { idle_ms: String(idleMs) } });
}

/** Thrown by `IdleBound.next` when the client sent nothing within the bound. */
export class ClientIdle extends Error {
  constructor(readonly idleMs: number) {
    super(`no message from the client within ${idleMs} ms`);
  }
}

/**
 * Reads of a client stream bounded by an idle time: one timer for the whole stream (re-armed per
 * read), and a read that waits longer rejects with ClientIdle.
 */
export class IdleBound<T> {
  private timer: NodeJS.Timeout | undefined;
  private wake: ((err: ClientIdle) => void) | undefined;
  idled = false;

  constructor(
    private readonly stream: AsyncIterator<T>,
    private readonly idleMs: number,
  ) {}

  next(): Promise<IteratorResult<T>> {
    const read = this.stream.next();
    const idle = new Promise<never>((_, reject) => {
      this.wake = reject;
      if (this.timer) this.timer.refresh();
      else
        this.timer = setTimeout(() => {
          this.idled = true;
          this.wake?.(new ClientIdle(this.idleMs));
        }, this.idleMs);
    });
    // The losing side of the race must not become an unhandled rejection.
    idle.catch(() => undefined);
    return Promise.race([read, idle]).finally(() => this.pause());
  }

  /** Stops the idle clock (no read is waiting). */
  pause(): void {
    this.wake = undefined;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}
