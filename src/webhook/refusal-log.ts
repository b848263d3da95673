/**
 * The listener's refusals that any client can cause at will, with no body or one it never
 * finishes (`busy`, `stalled`, `aborted`): a socket reopened at once after each refusal made
 * one log line per request, about 1,200 a second from one loopback client. Each outcome is
 * logged at most once per period: the first at once with its fields, the ones after it counted
 * and logged, summed, when the period is up (or at close, so that no count is lost). The
 * metrics still count every request.
 */
export type Refusal = 'busy' | 'stalled' | 'aborted';

export type WriteRefusal = (outcome: Refusal, count: number, fields: Record<string, unknown>) => void;

export class RefusalLog {
  private readonly outcomes = new Map<Refusal, { pending: number; timer: NodeJS.Timeout }>();

  constructor(
    private readonly write: WriteRefusal,
    private readonly everyMs = 60_000,
  ) {}

  add(outcome: Refusal, fields: Record<string, unknown>): void {
    const known = this.outcomes.get(outcome);
    if (known) {
      known.pending++;
      return;
    }
    this.write(outcome, 1, fields);
    this.outcomes.set(outcome, { pending: 0, timer: this.later(outcome) });
  }

  /** Logs what is still counted and stops the timers. */
  close(): void {
    for (const [outcome, entry] of this.outcomes) {
      clearTimeout(entry.timer);
      if (entry.pending > 0) this.write(outcome, entry.pending, {});
    }
    this.outcomes.clear();
  }

  private later(outcome: Refusal): NodeJS.Timeout {
    const timer = setTimeout(() => this.due(outcome), this.everyMs);
    timer.unref();
    return timer;
  }

  private due(outcome: Refusal): void {
    const entry = this.outcomes.get(outcome);
    if (!entry) return;
    if (entry.pending === 0) {
      // A quiet period: the next refusal is news again, logged at once.
      this.outcomes.delete(outcome);
      return;
    }
    this.write(outcome, entry.pending, {});
    entry.pending = 0;
    entry.timer = this.later(outcome);
  }
}
