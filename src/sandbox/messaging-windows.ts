// The messaging windows as Meta keeps them, per Page and person: the time of the person's last
// window-opening action (a message, a postback or quick reply, a referral or m.me/ad entry, a
// reaction), in Meta's own time. The sandbox learns of these actions only from webhooks the
// gateway's listener took (signed and stored), so a forged request cannot open a window.
import { HUMAN_AGENT_WINDOW_MS, STANDARD_WINDOW_MS } from '../limits/graph-limits';
import { MAX_AGO_MS } from './clock-offset';

/** What the sandbox (Meta) knows of one conversation's windows; times in epoch ms. */
export interface WindowState {
  /** Whether the sandbox has seen a window-opening action of this person (else every send goes out). */
  known: boolean;
  lastActionAt?: number;
  /** When the standard (24 h) window ends, or ended. */
  standardEndsAt?: number;
  /** When a `HUMAN_AGENT` reply stops being allowed (7 days). */
  humanAgentEndsAt?: number;
}

/** How many conversations are remembered: the least recently touched are forgotten first. */
export const MAX_WINDOWS = 100_000;

export class MessagingWindows {
  // A Map keeps insertion order, and a touch re-inserts: its first entry is the oldest.
  private readonly last = new Map<string, number>();

  constructor(private readonly max = MAX_WINDOWS) {}

  /**
   * A window-opening action at Meta's time `at`. The window runs from the latest action, so an
   * older one (a retry delivered late, or `--ago`) does not shorten it; a time in the future
   * (a skewed clock) counts as now. A time further back than any clock offset (a year; 1970, a
   * broken timestamp) is not Meta's: it would mark the person as seen and every send refused.
   */
  opened(pageId: string, psid: string, at: number, now = Date.now()): void {
    if (!Number.isFinite(at) || at < now - MAX_AGO_MS) return;
    const k = key(pageId, psid);
    const previous = this.last.get(k);
    this.put(k, Math.max(Math.min(at, now), previous ?? -Infinity));
  }

  /**
   * The conversation's clock offset: its last action is set to `agoMs` before now, whatever it was,
   * so that a window can be seen closing without waiting a day (the inbox's "age" control).
   */
  age(pageId: string, psid: string, agoMs: number, now = Date.now()): void {
    this.put(key(pageId, psid), now - agoMs);
  }

  state(pageId: string, psid: string): WindowState {
    const at = this.last.get(key(pageId, psid));
    if (at === undefined) return { known: false };
    return { known: true, lastActionAt: at, standardEndsAt: at + STANDARD_WINDOW_MS, humanAgentEndsAt: at + HUMAN_AGENT_WINDOW_MS };
  }

  private put(k: string, at: number): void {
    this.last.delete(k);
    this.last.set(k, at);
    if (this.last.size > this.max) this.last.delete(this.last.keys().next().value!);
  }
}

function key(pageId: string, psid: string): string {
  return `${pageId}\u0000${psid}`;
}
