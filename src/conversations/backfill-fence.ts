import { EventStoreFullError, type AppendResult, type EventStore, type NewEvent } from '../events/event-store';

/** Live events one fenced conversation may hold back; past it the webhook answers 503 and Meta retries later. */
export const MAX_HELD_PER_CONVERSATION = 10_000;

type Append = Pick<EventStore, 'append'>;

/**
 * Keeps a conversation's order while its history is backfilled: live events of a fenced
 * conversation are held back (in this process) instead of appended, and are appended after the
 * historical events when the fence opens. So a consumer gets the history first, then what was
 * said during the backfill, in the store's per-conversation FIFO. Without a fence (the usual
 * case) an append costs one size check.
 */
export class BackfillFence {
  private readonly held = new Map<string, NewEvent[]>();
  private target: Append | undefined;

  /** The append path the webhook listener uses, fenced. */
  wrap(target: Append): Append {
    this.target = target;
    return { append: (events) => (this.held.size === 0 ? target.append(events) : this.appendFenced(target, events)) };
  }

  /** Starts holding back the conversation's live events (`<page>\u0000<psid>`); false when it is fenced already. */
  close(conversation: string): boolean {
    if (this.held.has(conversation)) return false;
    this.held.set(conversation, []);
    return true;
  }

  /** Appends what was held, in arrival order, then lets live events through again. */
  async open(conversation: string): Promise<void> {
    const target = this.target;
    for (;;) {
      const events = this.held.get(conversation);
      if (!events || events.length === 0 || !target) {
        this.held.delete(conversation);
        return;
      }
      this.held.set(conversation, []);
      try {
        await target.append(events);
      } catch (err) {
        // Put them back in front: the next open (or the retry below) appends them.
        this.held.set(conversation, [...events, ...(this.held.get(conversation) ?? [])]);
        throw err;
      }
    }
  }

  private async appendFenced(target: Append, events: readonly NewEvent[]): Promise<AppendResult> {
    const through: NewEvent[] = [];
    let heldNow = 0;
    for (const e of events) {
      const held = this.held.get(e.conversation);
      if (!held) {
        through.push(e);
        continue;
      }
      if (held.length >= MAX_HELD_PER_CONVERSATION) throw new EventStoreFullError(`conversation backfill holds ${held.length} live events already`);
    }
    for (const e of events) {
      const held = this.held.get(e.conversation);
      if (held) {
        held.push(e);
        heldNow++;
      }
    }
    const result = through.length > 0 ? await target.append(through) : { stored: 0, duplicates: 0 };
    return { stored: result.stored + heldNow, duplicates: result.duplicates };
  }
}
