import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Platform, type BackfillMarker, type Event } from '../../gen/messenger/v1/events';
import type { HistoryMessage } from '../../gen/messenger/v1/history';
import type { BackfillProgress, BackfillRecord } from '../conversations/backfill-progress';
import { receivedLive } from '../conversations/received-live';
import type { EventStore, NewEvent } from '../events/event-store';
import { conversationKey, conversationOf } from '../events/conversation-key';
import { eventIdOf, messageDedupKey } from '../events/event-identity';
import { HISTORY_MAX_PAGE_SIZE } from '../limits/graph-limits';
import type { CallResult } from './call-result';
import type { GraphCallSpec } from './graph-call-spec';
import { runGraphCall } from './graph-call';
import type { HistoryDeps } from './history-handlers';
import { listConversationsSpec, listMessagesSpec, markEcho } from './history-specs';
import { instagramHistoryLimited } from './instagram-history-limit';

/** A backfill's Graph calls wait for the budget; Graph's own refusals (a 613) are retried this many times, a second apart. */
const MAX_TRIES = 5;
/** A running backfill whose record was not touched this long has lost its gateway (killed): another one resumes it. */
export const STALE_BACKFILL_MS = 10_000;
/**
 * How long a backfill's hold on a conversation lasts unless renewed (it is, after every Graph
 * page): long past STALE_BACKFILL_MS, so a killed run's hold is taken over by the gateway that
 * resumes it; a hold nobody resumes is released by the store when it runs out (its events appended).
 */
export const HOLD_TTL_MS = 10 * 60_000;
/** Historical events are appended in batches of this many (each all or nothing). */
const APPEND_BATCH = 500;

const NO_TRACE = { span: undefined, parent: undefined };

export interface BackfillRunnerDeps {
  history: HistoryDeps;
  /** Holds a conversation's live events back in the store (every replica's webhooks) while its history goes in. */
  store: Pick<EventStore, 'append' | 'hold' | 'release'>;
  progress: BackfillProgress;
  /** Told of the historical events stored (the sandbox's inbox). */
  onStored?(events: readonly NewEvent[]): void;
  /**
   * Since when the gateway has received the Page's webhooks (the conversation records'
   * `receiving_since`; 0: never), and the event store's dedup window: a past message received
   * live longer ago than the window is not appended again (received-live.ts).
   */
  receivedSince?: { of(pageId: string): number | Promise<number>; dedupWindowMs: number };
  /** One runner per backfill across replicas: a lock with a time to live. */
  lock(name: string, ttlMs: number): Promise<(() => Promise<void>) | undefined>;
}

/**
 * Runs backfills in the background: pages through a conversation's history within the account's
 * Conversations API budget (shared with the read RPCs and every replica) and appends each past
 * message as an event marked `historical`, with the id its live event has (so the store keeps each
 * message once). Progress is saved after every Graph page; a backfill whose gateway died is resumed
 * by the next one that looks (at start, then every STALE_BACKFILL_MS).
 */
export class BackfillRunner {
  private readonly active = new Set<string>();
  /** Holds whose release failed (Redis away): tried again at every look, so live events are not held until the hold's time runs out. */
  private readonly unreleased = new Map<string, { conversation: string; holder: string }>();
  private closed = false;
  /** The last queue's turn: queues run one after another (see queue). */
  private queueing: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: BackfillRunnerDeps) {}

  /** Looks for backfills to resume now and then every STALE_BACKFILL_MS. */
  start(): void {
    const look = (): void => {
      void this.resumeStale().catch((err: unknown) => this.deps.history.logger.warn({ err: (err as Error).message }, 'backfill: looking for backfills to resume failed'));
    };
    look();
    this.timer = setInterval(look, STALE_BACKFILL_MS);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await Promise.resolve();
  }

  /**
   * Queues a backfill; resolves with its id once its record is saved. A backfill of the same
   * conversation (or Page) already running that goes back as far answers instead: a caller
   * repeating the call (or a thousand of them at once) would otherwise spend the Page's 2 calls/s
   * on the same history again and again, holding the conversation's live events all along.
   * Queues are taken one at a time per gateway, so that concurrent calls see each other's records;
   * two replicas queued within the same few milliseconds may still both run.
   */
  queue(pageId: string, person: string, sinceMs: number): Promise<string> {
    const turn = this.queueing.then(() => this.queueNow(pageId, person, sinceMs));
    this.queueing = turn.catch(() => undefined);
    return turn;
  }

  private async queueNow(pageId: string, person: string, sinceMs: number): Promise<string> {
    const running = (await this.deps.progress.running()).find((r) => r.pageId === pageId && r.person === person && r.sinceMs <= sinceMs);
    if (running) return running.id;
    const now = Date.now();
    const record: BackfillRecord = {
      id: `bf_${randomBytes(12).toString('hex')}`, pageId, person, sinceMs, state: 'running',
      conversationsDone: 0, messagesStored: 0, messagesDuplicate: 0, graphCalls: 0, error: '', historyLimited: false, conversationsLimited: 0, resume: '', startedMs: now, updatedMs: now,
    };
    // A conversation's hold starts before the call answers: every live event stored after the
    // backfill was queued comes after its history. The run (or the one resuming it) releases it.
    const held = person !== '' ? conversationKey(this.platformOf(pageId), pageId, person) : undefined;
    if (held) await this.deps.store.hold(held, record.id, HOLD_TTL_MS);
    try {
      await this.deps.progress.save(record);
    } catch (err) {
      if (held) await this.release(held, record.id).catch(() => undefined);
      throw err;
    }
    void this.run(record);
    return record.id;
  }

  status(id: string): Promise<BackfillRecord | undefined> {
    return this.deps.progress.get(id);
  }

  private async resumeStale(): Promise<void> {
    if (this.closed) return;
    for (const [key, h] of [...this.unreleased]) {
      // Still failing: tried again at the next look; resuming backfills goes on meanwhile.
      if (await this.deps.store.release(h.conversation, h.holder).then(() => true, () => false)) this.unreleased.delete(key);
    }
    const now = Date.now();
    for (const r of await this.deps.progress.running()) {
      if (this.active.has(r.id) || r.updatedMs > now - STALE_BACKFILL_MS) continue;
      void this.run(r);
    }
  }

  private async run(record: BackfillRecord): Promise<void> {
    if (this.active.has(record.id)) return;
    // Not taken: another gateway runs it (or, Redis failing, the next look resumes it); the hold
    // is the backfill's, released by whichever run finishes it.
    const release = await this.deps.lock(`backfill:${record.id}`, STALE_BACKFILL_MS).catch(() => undefined);
    if (!release) return;
    this.active.add(record.id);
    const log = this.deps.history.logger;
    try {
      log.info({ backfill: record.id, page: record.pageId, conversation: record.person !== '', resume: record.resume !== '' }, 'backfill started');
      if (record.person !== '') await this.conversation(record, record.person, undefined);
      else await this.page(record);
      record.state = 'done';
      log.info({ backfill: record.id, stored: record.messagesStored, duplicates: record.messagesDuplicate, calls: record.graphCalls, historyLimited: record.historyLimited }, 'backfill done');
    } catch (err) {
      if (this.closed) return;
      record.state = 'failed';
      record.error = err instanceof Error ? err.message : String(err);
      log.warn({ backfill: record.id, err: record.error }, 'backfill failed');
    } finally {
      this.active.delete(record.id);
      await release().catch(() => undefined);
    }
    await this.save(record).catch(() => undefined);
  }

  private async save(record: BackfillRecord): Promise<void> {
    record.updatedMs = Date.now();
    await this.deps.progress.save(record);
  }

  /** One Graph call of the backfill: waits for the budget, retries Graph's refusals a few times. */
  private async call<Req, Res>(record: BackfillRecord, spec: GraphCallSpec<Req, Res>, req: Req): Promise<Res> {
    for (let tries = 1; ; tries++) {
      if (this.closed) throw new Error('the gateway is stopping');
      const answer = await this.deps.history.historyBudget.take(record.pageId);
      if (!answer.ok) {
        await this.wait(record, answer.retryAfterMs);
        continue;
      }
      record.graphCalls++;
      const result: CallResult<Res> = await runGraphCall(this.deps.history, spec, req, '', {}, NO_TRACE);
      if (result.ok) return result.response;
      if (tries >= MAX_TRIES || result.failure.retryAfterMs === undefined) throw new Error(`${spec.method}: ${result.failure.message}`);
      await this.wait(record, Math.max(1000, result.failure.retryAfterMs));
    }
  }

  /**
   * Sleeps `ms`, saving the record at least every STALE_BACKFILL_MS / 2: a backfill waiting for the
   * budget (many queued at once share 2 calls/s) or for Graph's pause is alive, and another replica
   * that saw its record untouched for STALE_BACKFILL_MS would run it a second time. A failed save
   * is not the backfill's failure (the next one may pass; at worst it is resumed twice).
   */
  private async wait(record: BackfillRecord, ms: number): Promise<void> {
    let left = ms;
    do {
      if (Date.now() - record.updatedMs >= STALE_BACKFILL_MS / 2) await this.save(record).catch(() => undefined);
      const step = Math.min(left, STALE_BACKFILL_MS / 2);
      await sleep(step);
      left -= step;
    } while (left > 0 && !this.closed);
  }

  /** The past messages the gateway may not have received live; the others count as duplicates. */
  private async notReceivedLive(record: BackfillRecord, past: HistoryMessage[]): Promise<HistoryMessage[]> {
    const known = this.deps.receivedSince;
    if (!known) return past;
    const since = await known.of(record.pageId);
    const now = Date.now();
    const kept = past.filter((m) => !receivedLive(m.createdTime?.getTime() ?? 0, since, now, known.dedupWindowMs));
    record.messagesDuplicate += past.length - kept.length;
    return kept;
  }

  private platformOf(pageId: string): Platform {
    return this.deps.history.pages.platformOf(pageId) === 'instagram' ? Platform.PLATFORM_INSTAGRAM : Platform.PLATFORM_MESSENGER;
  }

  /** Instagram served only its 20 most recent messages of this conversation: said in the record and the log, never hidden. */
  private noteInstagramLimit(record: BackfillRecord, messageCount: number, returned: number): void {
    if (this.platformOf(record.pageId) !== Platform.PLATFORM_INSTAGRAM || !instagramHistoryLimited(messageCount, returned, false)) return;
    record.historyLimited = true;
    record.conversationsLimited = (record.conversationsLimited ?? 0) + 1;
    this.deps.history.logger.warn(
      { backfill: record.id, page: record.pageId, returned, messageCount: messageCount > 0 ? messageCount : undefined },
      "backfill: Instagram returned only a conversation's 20 most recent messages; the older ones cannot be read",
    );
  }

  private async page(record: BackfillRecord): Promise<void> {
    for (;;) {
      const list = await this.call(record, listConversationsSpec, { pageId: record.pageId, personId: '', limit: 25, after: record.resume });
      for (const c of list.items) {
        const person = c.participants.find((p) => p.id !== record.pageId)?.id;
        if (person) await this.conversation(record, person, { id: c.id, messageCount: c.messageCount });
      }
      if (!list.after) return;
      record.resume = list.after;
      await this.save(record);
    }
  }

  /**
   * One conversation: hold its live events in the store (a resumed run renews the hold its dead
   * run left), read its history back to `since`, append it oldest first, release the hold (the
   * held live events follow the history). A Page backfill holds each conversation only during its turn.
   */
  private async conversation(record: BackfillRecord, person: string, known: { id: string; messageCount: number } | undefined): Promise<void> {
    // The webhook's key for this conversation (an Instagram account's is PLATFORM_INSTAGRAM's).
    const platform = this.platformOf(record.pageId);
    const conversation = conversationKey(platform, record.pageId, person);
    await this.deps.store.hold(conversation, record.id, HOLD_TTL_MS);
    const ended: BackfillMarker = { backfillId: record.id, messagesStored: 0, messagesDuplicate: 0, error: '' };
    let appended = false;
    try {
      // Before the history and through the hold: it frames the history for a consumer.
      await this.deps.store.append([markerEvent(record.pageId, person, 'backfillStarted', { backfillId: record.id, messagesStored: 0, messagesDuplicate: 0, error: '' }, platform)]);
      let id = known?.id;
      let messageCount = known?.messageCount ?? 0;
      if (id === undefined) {
        const found = await this.call(record, listConversationsSpec, { pageId: record.pageId, personId: person, limit: 1, after: '' });
        id = found.items[0]?.id;
        messageCount = found.items[0]?.messageCount ?? 0;
        if (id === undefined) throw new Error(`page ${record.pageId} has no conversation with this person`);
      }
      let returned = 0;
      const past: HistoryMessage[] = [];
      let after = '';
      for (;;) {
        const page = await this.call(record, listMessagesSpec, { pageId: record.pageId, conversationId: id, limit: HISTORY_MAX_PAGE_SIZE, after });
        let reachedSince = false;
        returned += page.items.length;
        for (const m of page.items) {
          if ((m.createdTime?.getTime() ?? 0) < record.sinceMs) {
            reachedSince = true;
            break;
          }
          past.push(markEcho(record.pageId, m));
        }
        record.updatedMs = Date.now();
        await this.deps.progress.save(record);
        await this.deps.store.hold(conversation, record.id, HOLD_TTL_MS);
        if (reachedSince || !page.after) {
          // Only a read to the end can meet Instagram's limit: stopping at `since` read what was asked.
          if (!reachedSince) this.noteInstagramLimit(record, messageCount, returned);
          break;
        }
        after = page.after;
      }
      past.reverse();
      const events = (await this.notReceivedLive(record, past)).map((m) => historicalEvent(record.pageId, m, this.platformOf(record.pageId)));
      for (let i = 0; i < events.length; i += APPEND_BATCH) {
        const batch = events.slice(i, i + APPEND_BATCH);
        const result = await this.deps.store.append(batch);
        record.messagesStored += result.stored;
        record.messagesDuplicate += result.duplicates;
        ended.messagesStored += result.stored;
        ended.messagesDuplicate += result.duplicates;
        this.deps.onStored?.(batch);
      }
      appended = true;
      await this.deps.store.append([markerEvent(record.pageId, person, 'backfillEnded', ended, platform)]);
      record.conversationsDone++;
      await this.save(record);
    } catch (err) {
      // Failed before its end marker: one saying why, so a consumer is not left waiting for it (best effort).
      if (!appended && !this.closed) {
        ended.error = err instanceof Error ? err.message : String(err);
        await this.deps.store.append([markerEvent(record.pageId, person, 'backfillEnded', ended, platform)]).catch(() => undefined);
      }
      throw err;
    } finally {
      // Stopping (a gateway shutting down mid-run): the hold stays for the gateway that resumes the backfill.
      if (!this.closed) await this.release(conversation, record.id);
    }
  }

  private async release(conversation: string, holder: string): Promise<void> {
    try {
      await this.deps.store.release(conversation, holder);
    } catch (err) {
      this.unreleased.set(`${holder}\u0000${conversation}`, { conversation, holder });
      throw err;
    }
  }
}

/**
 * A backfill's start or end on one conversation, as an event of that conversation (so it is in
 * its order). Its dedup key is the backfill's and the person's: a resumed backfill's repeat is
 * a duplicate within the dedup window.
 */
export function markerEvent(pageId: string, person: string, which: 'backfillStarted' | 'backfillEnded', marker: BackfillMarker, platform: Platform): NewEvent {
  const dedupKey = `${which === 'backfillStarted' ? 'backfill-started' : 'backfill-ended'}:${marker.backfillId}:${person}`;
  const now = new Date();
  const event: Event = {
    eventId: eventIdOf(dedupKey),
    pageId,
    senderId: person,
    recipientId: pageId,
    time: now,
    standby: false,
    rawJson: '',
    platform,
    receivedTime: now,
    traceparent: '',
    tracestate: '',
    historical: false,
    kind: which === 'backfillStarted' ? { $case: 'backfillStarted', value: marker } : { $case: 'backfillEnded', value: marker },
  };
  return { event, dedupKey, conversation: conversationOf(event) };
}

/** A past message as the event its webhook would have made: same id and dedup key, Meta's time, marked historical. */
export function historicalEvent(pageId: string, m: HistoryMessage, platform = Platform.PLATFORM_MESSENGER): NewEvent {
  const isEcho = m.message?.isEcho ?? false;
  const dedupKey = messageDedupKey(m.id, isEcho);
  const event: Event = {
    eventId: eventIdOf(dedupKey),
    pageId,
    senderId: m.senderId,
    recipientId: m.recipientId,
    time: m.createdTime,
    standby: false,
    rawJson: '',
    platform,
    receivedTime: new Date(),
    traceparent: '',
    tracestate: '',
    historical: true,
    kind: m.message ? { $case: 'message', value: m.message } : { $case: 'unknown', value: { keys: [] } },
  };
  // The webhook parser's key (platform, Page, person): one FIFO for the live and the past messages.
  return { event, dedupKey, conversation: conversationOf(event) };
}
