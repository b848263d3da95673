import type { NewEvent } from '../events/event-store';
import { STANDARD_WINDOW_MS } from '../limits/graph-limits';
import type { RecordUpdate } from './conversation-record';
import type { ConversationRecords } from './conversation-records';
import { standardWindowEnd } from './conversation-state';
import { factsOfEvent } from './event-facts';

/**
 * The conversation side of the webhook's appends: before the store, each event gets its
 * conversation's standard window end (its own action's, or the record's); after the store
 * accepted the batch (a signature checked, the events stored), the facts go into the records.
 * Nothing else writes window-opening facts: a forged webhook is refused before it gets here,
 * and a replayed one carries Meta's old time, which never moves a record back or forward.
 */
export class StoredEventsRecorder {
  /** When each Page was last marked as received from (a Page is marked again after REMARK_MS). */
  private readonly pagesMarked = new Map<string, number>();

  constructor(private readonly records: ConversationRecords) {}

  /** The facts of a batch, each event stamped with its window's end (awaits the records only for events that open nothing). */
  async prepare(events: readonly NewEvent[], nowMs: number): Promise<RecordUpdate[]> {
    const facts: RecordUpdate[] = [];
    let lookups: Array<Promise<void>> | undefined;
    for (const e of events) {
      const f = factsOfEvent(e.event, nowMs);
      if (f) facts.push(f);
      if (f?.inboundMs !== undefined) {
        e.event.standardWindowEnd = new Date(f.inboundMs + STANDARD_WINDOW_MS);
        continue;
      }
      const person = f?.person ?? personOf(e.conversation);
      const got = this.records.get(e.event.pageId, person, nowMs);
      if (got instanceof Promise) (lookups ??= []).push(got.then((r) => void (r && stamp(e, standardWindowEnd(r)))));
      else if (got) stamp(e, standardWindowEnd(got));
    }
    if (lookups) await Promise.all(lookups);
    return facts;
  }

  /** After the store took the batch: the facts, and the Pages now known to be received from. */
  async stored(events: readonly NewEvent[], facts: readonly RecordUpdate[], nowMs: number): Promise<void> {
    let fresh: string[] | undefined;
    for (const e of events) {
      const page = e.event.pageId;
      const last = this.pagesMarked.get(page);
      if (last === undefined ? this.pagesMarked.size < MAX_MARKED_PAGES : nowMs - last >= REMARK_MS) {
        this.pagesMarked.set(page, nowMs);
        (fresh ??= []).push(page);
      }
    }
    if (fresh) await this.records.markReceiving(fresh, nowMs);
    if (facts.length > 0) await this.records.apply(facts, nowMs);
  }
}

const MAX_MARKED_PAGES = 10_000;
/**
 * A Page is marked again (a no-op while its mark holds) this often: a Redis restarted without
 * persistence lost the mark with the records, and a gateway still receiving must say since when
 * the records hold its webhooks again, not "never" until it restarts. One write per Page a minute.
 */
const REMARK_MS = 60_000;

function stamp(e: NewEvent, endMs: number): void {
  if (endMs > 0) e.event.standardWindowEnd = new Date(endMs);
}

/** The person of a `<page>\u0000<person>` conversation key. */
function personOf(conversation: string): string {
  return conversation.slice(conversation.indexOf('\u0000') + 1);
}
