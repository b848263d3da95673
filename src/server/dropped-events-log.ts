/**
 * The warning that an idle consumer group gave up events, at most once per group per minute:
 * a full store drops on every append, and a line per append would flood the log. The first
 * drop of a group is logged at once; drops after it are counted and logged, summed, when the
 * minute is up (or at close, so that no count is lost).
 */
export class DroppedEventsLog {
  private readonly groups = new Map<string, { pending: number; timer: NodeJS.Timeout }>();

  constructor(
    private readonly log: (group: string, dropped: number) => void,
    private readonly everyMs = 60_000,
  ) {}

  add(group: string, count: number): void {
    const known = this.groups.get(group);
    if (known) {
      known.pending += count;
      return;
    }
    this.log(group, count);
    this.groups.set(group, { pending: 0, timer: this.later(group) });
  }

  /** Groups within their period (each forgotten after a quiet one, so that this stays small). */
  get size(): number {
    return this.groups.size;
  }

  /** Logs what is still counted and stops the timers. */
  close(): void {
    for (const [group, entry] of this.groups) {
      clearTimeout(entry.timer);
      if (entry.pending > 0) this.log(group, entry.pending);
    }
    this.groups.clear();
  }

  private later(group: string): NodeJS.Timeout {
    const timer = setTimeout(() => this.due(group), this.everyMs);
    timer.unref();
    return timer;
  }

  private due(group: string): void {
    const entry = this.groups.get(group);
    if (!entry) return;
    if (entry.pending === 0) {
      // A quiet minute: the next drop is news again, logged at once.
      this.groups.delete(group);
      return;
    }
    this.log(group, entry.pending);
    entry.pending = 0;
    entry.timer = this.later(group);
  }
}
