// The chaos switchboard: per Page, make the next N sends fail with a chosen Graph error, or hold
// every answer back by some latency. Magic recipient values keep working: a send whose recipient
// is magic does what its value says (chaos latency still applies) and does not use up a failure.

import type { Magic } from './magic-recipients';

/** One Page's switches. */
export interface PageChaos {
  /** The next `count` message sends (not sender actions) fail with this Graph error. */
  failNext?: { count: number; code: number; subcode?: number };
  /** Every answer on the Page's `/messages` edge waits this long first. */
  latencyMs?: number;
}

/** The errors the inbox offers as presets (any Graph code may be set through the API). */
export const CHAOS_PRESETS: readonly { code: number; subcode?: number; label: string }[] = [
  { code: 551, label: '551 person unavailable' },
  { code: 613, label: '613 rate limit (usage headers at 100%)' },
  { code: 1200, label: '1200 temporary send failure' },
  { code: 10, subcode: 2018278, label: '10/2018278 outside the messaging window' },
  { code: 10, subcode: 1893063, label: '10/1893063 page temporarily restricted' },
];

export const MAX_CHAOS_COUNT = 1000;
export const MAX_CHAOS_LATENCY_MS = 60_000;

/** What chaos does to one send. */
export interface ChaosEffect {
  magic: Magic | undefined;
  /** Whether the failure came from the switchboard (not from the recipient). */
  chaos: boolean;
}

/** The switches of every Page, kept in memory by one sandbox. */
export class ChaosBoard {
  private readonly pages = new Map<string, PageChaos>();
  private readonly listeners = new Set<() => void>();

  /** Called after every change: set, cleared, or a failure used up. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Sets a Page's switches (replacing them); returns why the value is refused, or undefined. */
  set(pageId: string, value: unknown): string | undefined {
    const parsed = parsePageChaos(value);
    if (typeof parsed === 'string') return parsed;
    if (parsed.failNext === undefined && parsed.latencyMs === undefined) this.pages.delete(pageId);
    else this.pages.set(pageId, parsed);
    this.changed();
    return undefined;
  }

  get(pageId: string): PageChaos | undefined {
    const c = this.pages.get(pageId);
    return c && structuredClone(c);
  }

  /** Every Page with a switch on. */
  list(): Record<string, PageChaos> {
    return Object.fromEntries([...this.pages].map(([id, c]) => [id, structuredClone(c)]));
  }

  /** Turns one Page's switches off, or every Page's. */
  clear(pageId?: string): void {
    if (pageId === undefined) this.pages.clear();
    else this.pages.delete(pageId);
    this.changed();
  }

  /** What a `/messages` call on `pageId` does, given its recipient's magic; uses up one failure. */
  apply(pageId: string, recipientMagic: Magic | undefined, isMessage: boolean): ChaosEffect {
    const c = this.pages.get(pageId);
    if (!c) return { magic: recipientMagic, chaos: false };
    let magic = recipientMagic;
    let chaos = false;
    if (magic === undefined && isMessage && c.failNext) {
      magic = { kind: 'graph-error', code: c.failNext.code, ...(c.failNext.subcode !== undefined ? { subcode: c.failNext.subcode } : {}) };
      chaos = true;
      c.failNext.count--;
      if (c.failNext.count <= 0) delete c.failNext;
      if (c.failNext === undefined && c.latencyMs === undefined) this.pages.delete(pageId);
      this.changed();
    }
    if (c.latencyMs) magic = { kind: 'delay', ms: c.latencyMs, ...(magic ? { then: magic } : {}) };
    return { magic, chaos };
  }

  private changed(): void {
    for (const l of this.listeners) {
      try {
        l();
      } catch {
        // A listener's fault is the listener's.
      }
    }
  }
}

function parsePageChaos(v: unknown): PageChaos | string {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'chaos: a JSON object {failNext?: {count, code, subcode?}, latencyMs?}';
  const o = v as Record<string, unknown>;
  const out: PageChaos = {};
  const int = (x: unknown, min: number, max: number) => typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max;
  if (o.failNext !== undefined && o.failNext !== null) {
    const f = o.failNext as Record<string, unknown>;
    if (typeof f !== 'object' || Array.isArray(f)) return 'failNext: {count, code, subcode?}';
    if (!int(f.count, 1, MAX_CHAOS_COUNT)) return `failNext.count: an integer from 1 to ${MAX_CHAOS_COUNT}`;
    if (!int(f.code, 1, 999_999_999)) return 'failNext.code: a Graph error code (a positive integer)';
    if (f.subcode !== undefined && !int(f.subcode, 1, 999_999_999_999)) return 'failNext.subcode: a Graph error subcode (a positive integer)';
    out.failNext = { count: f.count as number, code: f.code as number, ...(f.subcode !== undefined ? { subcode: f.subcode as number } : {}) };
  }
  if (o.latencyMs !== undefined && o.latencyMs !== null && o.latencyMs !== 0) {
    if (!int(o.latencyMs, 0, MAX_CHAOS_LATENCY_MS)) return `latencyMs: an integer from 0 to ${MAX_CHAOS_LATENCY_MS}`;
    out.latencyMs = o.latencyMs as number;
  }
  for (const k of Object.keys(o)) if (k !== 'failNext' && k !== 'latencyMs') return `unknown field ${JSON.stringify(k.slice(0, 40))}`;
  return out;
}
