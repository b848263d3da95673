import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IdempotencyOptions, IdempotencyStore, StoredOutcome } from '../../src/delivery/delivery-types';
import { timePasses } from '../support/time-passes';

/** Makes a fresh store (a fresh key space) for one test; `close` is called by the suite. */
export type StoreFactory = (options: IdempotencyOptions) => Promise<IdempotencyStore>;

export const OPTIONS: IdempotencyOptions = { windowMs: 60_000, claimTtlMs: 30_000, maxKeys: 1_000 };
export const RESPONSE: StoredOutcome = { kind: 'response', bytes: Buffer.from('message-id-1').toString('base64') };
export const ERROR: StoredOutcome = { kind: 'error', code: 9, message: 'outside the messaging window', details: 'AAEC' };
/** A failure as the pipeline stores it (as data), with a Graph error and its free-form error_data. */
export const FAILURE: StoredOutcome = {
  kind: 'failure',
  failure: {
    code: 9, reason: 23, message: 'Graph error 10/2018278: outside the window', nothingSent: false, metadata: { code: '10' },
    graph: { code: 10, errorSubcode: 2018278, type: 'OAuthException', message: '(#10) outside', fbtraceId: 'AbC', isTransient: undefined, errorUserTitle: '', errorUserMsg: '', errorData: { a: [1, 'x'] }, httpStatus: 400 },
  },
};

/** The contract of IdempotencyStore, run against every implementation. */
export function idempotencySuite(name: string, makeStore: StoreFactory): void {
  describe(`${name}: idempotency contract`, () => {
    const open: IdempotencyStore[] = [];
    const store = async (options: Partial<IdempotencyOptions> = {}) => {
      const s = await makeStore({ ...OPTIONS, ...options });
      open.push(s);
      return s;
    };
    let key: string;
    let n = 0;
    beforeEach(() => {
      key = `1234:key-${process.pid}-${Date.now()}-${n++}`;
    });
    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
    });

    it('claims a fresh key, then replays the stored response', async () => {
      const s = await store();
      expect(await s.claim(key, 'fp')).toEqual({ kind: 'claimed' });
      await s.complete(key, 'fp', RESPONSE);
      expect(await s.claim(key, 'fp')).toEqual({ kind: 'done', outcome: RESPONSE });
      expect(await s.claim(key, 'fp')).toEqual({ kind: 'done', outcome: RESPONSE });
    });

    it('replays a stored error as well', async () => {
      const s = await store();
      await s.claim(key, 'fp');
      await s.complete(key, 'fp', ERROR);
      expect(await s.claim(key, 'fp')).toEqual({ kind: 'done', outcome: ERROR });
    });

    it('replays a stored failure (as data), Graph error and all', async () => {
      const s = await store();
      await s.claim(key, 'fp');
      await s.complete(key, 'fp', FAILURE);
      // JSON has no undefined: what comes back is the failure as JSON carries it.
      expect(await s.claim(key, 'fp')).toEqual({ kind: 'done', outcome: JSON.parse(JSON.stringify(FAILURE)) });
    });

    it('refuses the same key with a different request, in flight and done', async () => {
      const s = await store();
      await s.claim(key, 'fp-a');
      expect(await s.claim(key, 'fp-b')).toEqual({ kind: 'mismatch' });
      expect(await s.wait(key, 'fp-b', Date.now() + 1_000)).toEqual({ kind: 'mismatch' });
      await s.complete(key, 'fp-a', RESPONSE);
      expect(await s.claim(key, 'fp-b')).toEqual({ kind: 'mismatch' });
      expect(await s.wait(key, 'fp-b', Date.now() + 1_000)).toEqual({ kind: 'mismatch' });
    });

    it('keeps keys apart', async () => {
      const s = await store();
      await s.claim(key, 'fp');
      expect(await s.claim(`${key}-other`, 'fp')).toEqual({ kind: 'claimed' });
    });

    it('reports in flight, and a waiter gets the result as soon as it completes', async () => {
      const s = await store();
      await s.claim(key, 'fp');
      expect(await s.claim(key, 'fp')).toEqual({ kind: 'in-flight' });
      const started = Date.now();
      const waiting = s.wait(key, 'fp', Date.now() + 5_000);
      setTimeout(() => void s.complete(key, 'fp', RESPONSE), 50);
      expect(await waiting).toEqual({ kind: 'done', outcome: RESPONSE });
      expect(Date.now() - started).toBeLessThan(1_000);
    });

    it('wait returns at once when the key is already done or absent', async () => {
      const s = await store();
      expect(await s.wait(key, 'fp', Date.now() + 5_000)).toEqual({ kind: 'released' });
      await s.claim(key, 'fp');
      await s.complete(key, 'fp', RESPONSE);
      expect(await s.wait(key, 'fp', Date.now() + 5_000)).toEqual({ kind: 'done', outcome: RESPONSE });
    });

    it('release lets waiters know and another call claim', async () => {
      const s = await store();
      await s.claim(key, 'fp');
      const waiters = [s.wait(key, 'fp', Date.now() + 5_000), s.wait(key, 'fp', Date.now() + 5_000)];
      await timePasses(20); // the waiters block first (nothing says they do): the release must wake them
      await s.release(key, 'fp');
      expect(await Promise.all(waiters)).toEqual([{ kind: 'released' }, { kind: 'released' }]);
      expect(await s.claim(key, 'fp')).toEqual({ kind: 'claimed' });
    });

    it('release is ignored for another request or a finished key', async () => {
      const s = await store();
      await s.claim(key, 'fp');
      await s.release(key, 'other');
      expect(await s.claim(key, 'fp')).toEqual({ kind: 'in-flight' });
      await s.complete(key, 'fp', RESPONSE);
      await s.release(key, 'fp');
      expect(await s.claim(key, 'fp')).toEqual({ kind: 'done', outcome: RESPONSE });
    });

    it('complete by another request does not overwrite', async () => {
      const s = await store();
      await s.claim(key, 'fp');
      await s.complete(key, 'other', ERROR);
      expect(await s.claim(key, 'fp')).toEqual({ kind: 'in-flight' });
    });

    it('forgets a finished key after windowMs', async () => {
      const s = await store({ windowMs: 200 });
      await s.claim(key, 'fp');
      await s.complete(key, 'fp', RESPONSE);
      expect(await s.claim(key, 'fp')).toEqual({ kind: 'done', outcome: RESPONSE });
      await timePasses(300); // windowMs running out is what is tested
      expect(await s.claim(key, 'fp')).toEqual({ kind: 'claimed' });
    });

    it('lets another call take over a claim whose owner never completed (claimTtlMs)', async () => {
      const s = await store({ claimTtlMs: 200 });
      await s.claim(key, 'fp');
      expect(await s.claim(key, 'fp')).toEqual({ kind: 'in-flight' });
      await timePasses(300); // claimTtlMs running out is what is tested
      expect(await s.claim(key, 'fp')).toEqual({ kind: 'claimed' });
    });

    it('a waiter on a claim that expires is told released (bounded by the claim TTL)', async () => {
      const s = await store({ claimTtlMs: 200 });
      await s.claim(key, 'fp');
      const started = Date.now();
      expect(await s.wait(key, 'fp', Date.now() + 5_000)).toEqual({ kind: 'released' });
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(await s.claim(key, 'fp')).toEqual({ kind: 'claimed' });
    });

    it('a late complete after the claim expired is still recorded (the send happened)', async () => {
      const s = await store({ claimTtlMs: 100 });
      await s.claim(key, 'fp');
      await timePasses(200); // claimTtlMs running out is what is tested
      await s.complete(key, 'fp', RESPONSE);
      expect(await s.claim(key, 'fp')).toEqual({ kind: 'done', outcome: RESPONSE });
    });

    it('wait times out at the deadline while the other call is still in flight', async () => {
      const s = await store();
      await s.claim(key, 'fp');
      const started = Date.now();
      expect(await s.wait(key, 'fp', Date.now() + 150)).toEqual({ kind: 'timeout' });
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(140);
      expect(took).toBeLessThan(1_000);
      expect(await s.wait(key, 'fp', Date.now() - 1)).toEqual({ kind: 'timeout' });
    });

    it('wait ends with timeout when the signal aborts', async () => {
      const s = await store();
      await s.claim(key, 'fp');
      const controller = new AbortController();
      const started = Date.now();
      const waiting = s.wait(key, 'fp', Date.now() + 10_000, controller.signal);
      setTimeout(() => controller.abort(), 50);
      expect(await waiting).toEqual({ kind: 'timeout' });
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(await s.wait(key, 'fp', Date.now() + 10_000, controller.signal)).toEqual({ kind: 'timeout' });
    });

    it('many concurrent claims of one key: exactly one claimed', async () => {
      const s = await store();
      const results = await Promise.all(Array.from({ length: 20 }, () => s.claim(key, 'fp')));
      expect(results.filter((r) => r.kind === 'claimed')).toHaveLength(1);
      expect(results.filter((r) => r.kind === 'in-flight')).toHaveLength(19);
    });
  });
}
