import { Platform, type Event } from '../../gen/messenger/v1/events';
import { conversationKey } from '../../src/events/conversation-key';
import type { DeliveredEvent, NewEvent } from '../../src/events/event-store';
import { partitionOf } from '../../src/events/redis-event-store';

let counter = 0;
const RUN = `${process.pid}-${Date.now().toString(36)}`;

/** A unique name (group, page) for one test: suites may share a backend. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${RUN}-${counter++}`;
}

/** A message event of `sender` on `page`, with a unique id (and dedup key) unless one is given. */
export function newEvent(page: string, sender: string, opts: { id?: string; text?: string; dedupKey?: string } = {}): NewEvent {
  const id = opts.id ?? `ev-${RUN}-${counter++}`;
  const event: Event = {
    eventId: id,
    pageId: page,
    senderId: sender,
    recipientId: page,
    time: new Date(),
    standby: false,
    rawJson: '{}',
    platform: Platform.PLATFORM_MESSENGER,
    receivedTime: undefined,
    traceparent: '',
    tracestate: '',
    historical: false,
    kind: { $case: 'message', value: { mid: id, text: opts.text ?? id, attachments: [], quickReplyPayload: '', replyToMid: '', referral: undefined, isEcho: false, appId: '', metadata: '' } },
  };
  return { event, dedupKey: opts.dedupKey ?? `message:${id}`, conversation: conversationKey(Platform.PLATFORM_MESSENGER, page, sender) };
}

/** The Redis store's default partition count (the suites use the default). */
const PARTITIONS = 16;

/**
 * Marks for "nothing more arrives": one event of `page` in every Redis partition (the memory
 * store has none: they are just more conversations). A store hands out what a partition holds
 * in order, and the memory store the oldest ready conversation first, so once a consumer had
 * every mark, whatever was stored before them and was going to reach it has.
 */
export function marks(page: string): NewEvent[] {
  const byPartition = new Map<number, NewEvent>();
  for (let i = 0; byPartition.size < PARTITIONS; i++) {
    const sender = `mark-${i}`;
    const partition = partitionOf(`${page}\u0000${sender}`, PARTITIONS);
    if (!byPartition.has(partition)) byPartition.set(partition, newEvent(page, sender));
  }
  return [...byPartition.values()];
}

/** Whether a delivery is one of `marks`. */
export const isMark = (d: DeliveredEvent): boolean => d.event.senderId.startsWith('mark-');

/** What one consumer was given, in order, with a way to wait for the next. */
export class Inbox<T = DeliveredEvent> {
  readonly all: T[] = [];
  private readonly unread: T[] = [];
  private waiter: ((d: T) => void) | undefined;

  readonly push = (d: T): void => {
    this.all.push(d);
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(d);
    } else this.unread.push(d);
  };

  /** The next delivery (fails after `timeoutMs`). */
  next(timeoutMs = 3_000): Promise<T> {
    const ready = this.unread.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no delivery within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = (d) => {
        clearTimeout(timer);
        resolve(d);
      };
    });
  }

  /** The next `n` deliveries. */
  async take(n: number, timeoutMs = 3_000): Promise<T[]> {
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(await this.next(timeoutMs));
    return out;
  }

  /** What is delivered up to the first delivery `isLast` accepts, leaving out those `isMark` accepts. */
  async before(isLast: (d: T) => boolean, isMark: (d: T) => boolean, timeoutMs = 3_000): Promise<T[]> {
    const others: T[] = [];
    for (;;) {
      const d = await this.next(timeoutMs);
      if (isLast(d)) return others;
      if (!isMark(d)) others.push(d);
    }
  }

  /** Takes every delivery not read yet. */
  drain(): T[] {
    return this.unread.splice(0);
  }

  get pending(): number {
    return this.unread.length;
  }
}
