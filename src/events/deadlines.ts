/**
 * Ack deadlines and nack delays on one timer: a min-heap of wake-ups and one unref'd timer
 * armed for the earliest, never a timer per event. A wake-up carries the entry's token as it
 * was when it was taken: an entry whose token moved on since (acked, given back, delivered
 * again) has left that state, and its wake-up is skipped.
 */

/** What a wake-up is taken for: the token tells whether it is still current. */
export interface Timed {
  readonly token: number;
}

/** Told when a wake-up it took is due and still current. */
export interface WakeupOwner<E extends Timed> {
  due(entry: E): void;
}

interface Wakeup<E extends Timed> {
  readonly at: number;
  readonly entry: E;
  readonly token: number;
  readonly owner: WakeupOwner<E>;
}

/** Stale wake-ups are dropped in one pass when the heap is this large and mostly stale. */
const REBUILD_AT = 1024;

export class Deadlines<E extends Timed> {
  private readonly heap: Wakeup<E>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private stopped = false;
  /** Entries whose wake-up is current (owners count them in and out): the live part of the heap. */
  live = 0;

  /** `afterDue` runs on every firing once the due wake-ups are handled (the memory store's housekeeping). */
  constructor(private readonly afterDue?: (now: number) => void) {}

  /** Wakes `owner` for `entry` at `at` (epoch ms) unless its token has moved on by then; counts it live. */
  add(at: number, entry: E, owner: WakeupOwner<E>): void {
    this.live++;
    heapPush(this.heap, { at, entry, token: entry.token, owner });
    // Settled entries leave stale wake-ups behind: rebuild when they are most of the heap.
    if (this.heap.length > REBUILD_AT && this.heap.length > 4 * this.live) {
      const current = this.heap.filter((w) => w.token === w.entry.token);
      this.heap.length = 0;
      for (const w of current) heapPush(this.heap, w);
    }
    this.arm(at);
  }

  /** Makes the timer fire by `at` (for `afterDue`'s own schedule). */
  arm(at: number): void {
    if (this.stopped || at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.fire(), Math.max(1, at - Date.now()));
    this.timer.unref();
  }

  /** The wake-ups still current (their entry's token has not moved on), in no order. */
  *current(): IterableIterator<{ at: number; entry: E }> {
    for (const w of this.heap) if (w.token === w.entry.token) yield { at: w.at, entry: w.entry };
  }

  /** No more firing; every wake-up is forgotten. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.heap.length = 0;
    this.live = 0;
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    if (this.stopped) return;
    const now = Date.now();
    while (this.heap.length > 0 && this.heap[0].at <= now) {
      const w = heapPop(this.heap);
      if (w.token === w.entry.token) w.owner.due(w.entry);
    }
    this.afterDue?.(now);
    if (this.heap.length > 0) this.arm(this.heap[0].at);
  }
}

function heapPush<E extends Timed>(h: Wakeup<E>[], w: Wakeup<E>): void {
  h.push(w);
  let i = h.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (h[parent].at <= h[i].at) break;
    [h[parent], h[i]] = [h[i], h[parent]];
    i = parent;
  }
}

function heapPop<E extends Timed>(h: Wakeup<E>[]): Wakeup<E> {
  const top = h[0];
  const last = h.pop() as Wakeup<E>;
  if (h.length > 0) {
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && h[l].at < h[m].at) m = l;
      if (r < h.length && h[r].at < h[m].at) m = r;
      if (m === i) break;
      [h[m], h[i]] = [h[i], h[m]];
      i = m;
    }
  }
  return top;
}
