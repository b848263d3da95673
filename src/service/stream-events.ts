import { Metadata, status, type handleBidiStreamingCall, type handleUnaryCall, type ServerUnaryCall } from '@grpc/grpc-js';
import type { Duration } from '../../gen/google/protobuf/duration';
import { ErrorReason } from '../../gen/messenger/v1/errors';
import {
  StartPosition,
  type EventServiceServer,
  type ListDeadLettersRequest,
  type ListDeadLettersResponse,
  type ReplayDeadLettersRequest,
  type ReplayDeadLettersResponse,
  type StreamEventsRequest,
  type StreamEventsResponse,
  type Subscribe,
} from '../../gen/messenger/v1/events';
import { gatewayFailure, INTERNAL_FAILURE, invalidRequest, reasonName, type Failure } from '../errors/failure';
import { ConsumerStuckError, GroupScopeError, InvalidPageTokenError, TooManyGroupsError, type Consumer, type ConsumerOptions, type DeliveredEvent, type EventStore, type StartAt } from '../events/event-store';
import type { Span } from '@opentelemetry/api';
import { MAX_TIMESTAMP_MS } from '../limits/timestamp-range';
import { StoreUnavailableError } from '../store/store-unavailable-error';
import type { Logger } from '../log/logger';
import { traceFields } from '../telemetry/log-trace-fields';
import { serverSpanOf } from '../telemetry/server-span';
import { failed, type CallResult } from './call-result';
import { ownedGroup } from './owned-group';
import { coalesceWrites } from './coalesced-writes';
import { failStream, streamEdge, unaryEdge, type EdgeDeps } from './rpc-edge';
import { shown } from '../validate/field-checks';
import { MAX_PAGE_ID_LENGTH } from '../validate/validate-page-id';
import { ViolationList } from '../validate/violation-list';

/** Who makes a call, as far as EventService cares (the server's authenticated caller has this shape). */
export interface EventCaller {
  readonly name: string;
  /** The Pages it is granted; undefined: every Page. */
  readonly pages: ReadonlySet<string> | undefined;
}

/** What the EventService handlers need: built once by the server wiring. */
export interface EventServiceDeps {
  store: EventStore;
  logger: Logger;
  /** The authenticated caller of a call (by its metadata object); undefined without caller authentication (every Page allowed). */
  callerOf(metadata: Metadata): EventCaller | undefined;
}

export const DEFAULT_MAX_OUTSTANDING = 100;
export const MAX_MAX_OUTSTANDING = 1000;
export const DEFAULT_DEAD_LETTER_PAGE_SIZE = 100;
export const MAX_DEAD_LETTER_PAGE_SIZE = 1000;
/** The longest a nack may hold an event back (events.proto: "at most 1 hour"; longer is refused). */
export const MAX_NACK_DELAY_MS = 3_600_000;
const MAX_GROUP_LENGTH = 128;
const GROUP_PATTERN = /^[A-Za-z0-9._:-]+$/;
const MAX_PAGE_IDS = 1000;
const MAX_EVENT_IDS = 1000;
/** Event ids are `ev_` and 32 hex digits: anything much longer is not one. */
const MAX_EVENT_ID_LENGTH = 128;
const MAX_PAGE_TOKEN_LENGTH = 1024;
/**
 * A stream whose unsent responses reach this many times its max_outstanding is not being read:
 * the store redelivers at the ack deadline, so without a bound they would pile up forever.
 */
const MAX_UNSENT_PER_OUTSTANDING = 2;
/** When to subscribe again after the store went away. */
const STORE_RETRY_MS = 1000;

/** The EventService: StreamEvents, ListDeadLetters, ReplayDeadLetters over an EventStore. */
export function eventServiceHandlers(deps: EventServiceDeps): EventServiceServer {
  return {
    streamEvents: streamEventsHandler(deps),
    listDeadLetters: listDeadLettersHandler(deps),
    replayDeadLetters: replayDeadLettersHandler(deps),
  };
}

/**
 * `StreamEvents`: the first request subscribes (validated, its Pages checked against the
 * caller's grants); the response headers are sent once the subscription is live; then every event the store gives this consumer is written as it comes;
 * acks and nacks are applied as they arrive. However the stream ends (the caller half-closes,
 * cancels, breaks, or the store goes away), the consumer is closed and its unacked events go
 * back to the group at once. Memory stays bounded by `max_outstanding` even if the caller
 * stops reading: the store gives no more until events are acked, nacked or past their deadline.
 */
export function streamEventsHandler(deps: EventServiceDeps): handleBidiStreamingCall<StreamEventsRequest, StreamEventsResponse> {
  return streamEdge<StreamEventsRequest, StreamEventsResponse>(edgeDeps(deps), 'StreamEvents', (call) => {
    let stage: 'first' | 'subscribing' | 'open' | 'ended' = 'first';
    let consumer: Consumer | undefined;
    const caller = deps.callerOf(call.metadata);
    // Taken now: once the stream has ended, its span no longer records, but its lines still name it.
    const trace = traceFields(serverSpanOf(call));
    let group = '';
    let maxUnsent = Infinity;
    coalesceWrites(call);

    const end = (failure?: Failure) => {
      if (stage === 'ended') return;
      stage = 'ended';
      const c = consumer;
      consumer = undefined;
      if (c) c.close().catch((err: unknown) => deps.logger.warn({ err, group }, 'closing an event consumer failed'));
      if (failure) {
        deps.logger.info({ method: 'StreamEvents', group, caller: caller?.name, grpc_code: status[failure.code], reason: reasonName(failure.reason), ...trace }, 'event stream ended');
      }
      if (call.cancelled || call.destroyed) return;
      if (failure) failStream(call, failure);
      else call.end();
    };

    const deliver = (d: DeliveredEvent) => {
      if (stage === 'ended' || call.cancelled || call.destroyed) return;
      // A caller that reads slowly needs nothing: max_outstanding bounds what is buffered. One that
      // stopped reading gets redeliveries at every ack deadline; past the bound its stream ends.
      if (call.writableLength >= maxUnsent) {
        end(gatewayFailure(status.RESOURCE_EXHAUSTED, ErrorReason.CONSUMER_NOT_READING, `the stream is not read: ${call.writableLength} events wait to be sent; its unacked events go back to the group`));
        return;
      }
      call.write({ event: d.event, deliveryAttempt: d.attempt });
    };

    const subscribe = (req: StreamEventsRequest) => {
      const sub = req.subscribe;
      if (!sub) {
        end(invalidRequest('StreamEvents request', [{ field: 'subscribe', description: 'the first request of a stream must carry subscribe' }]));
        return;
      }
      const v = new ViolationList();
      if (req.ack) v.add('ack', 'must not be in the first request (it carries only subscribe)');
      if (req.nack) v.add('nack', 'must not be in the first request (it carries only subscribe)');
      checkGroup(v, 'subscribe.consumer_group', sub.consumerGroup);
      checkPageIds(v, 'subscribe.page_ids', sub.pageIds);
      const maxOutstanding = sub.maxOutstanding === 0 ? DEFAULT_MAX_OUTSTANDING : sub.maxOutstanding;
      if (sub.maxOutstanding < 0 || sub.maxOutstanding > MAX_MAX_OUTSTANDING) {
        v.add('subscribe.max_outstanding', `must be between 1 and ${MAX_MAX_OUTSTANDING}, or 0 for the default of ${DEFAULT_MAX_OUTSTANDING} (got ${sub.maxOutstanding})`);
      }
      const start = startOf(v, sub);
      const items = v.items;
      if (items.length > 0) {
        end(invalidRequest('StreamEvents subscribe', items));
        return;
      }
      const granted = grantedPages(caller, sub.pageIds);
      if (!granted.ok) {
        end(notGranted(caller, granted.page));
        return;
      }
      group = sub.consumerGroup;
      maxUnsent = MAX_UNSENT_PER_OUTSTANDING * maxOutstanding;
      stage = 'subscribing';
      // Acks and nacks wait until the consumer exists (HTTP/2 flow control holds the rest).
      call.pause();
      const options: ConsumerOptions = {
        group: ownedGroup(caller?.name, group),
        owner: caller?.name,
        pageIds: granted.pages,
        // A new group's scope is what this stream may receive; joining, empty page_ids are fitted to the group's.
        scope: granted.pages,
        fitToScope: sub.pageIds.length === 0,
        maxOutstanding,
        start,
        endWhenStuck: true,
      };
      deps.store
        .consume(options, deliver, (err) =>
          end(err instanceof ConsumerStuckError
            ? gatewayFailure(status.RESOURCE_EXHAUSTED, ErrorReason.CONSUMER_NOT_READING, `the stream is not read: ${err.message}; its unacked events go back to the group`)
            : storeFailure(deps, err, 'the event store ended the stream')),
        )
        .then(
          (c) => {
            if (stage === 'ended') {
              c.close().catch((err: unknown) => deps.logger.warn({ err, group }, 'closing an event consumer failed'));
              return;
            }
            consumer = c;
            stage = 'open';
            deps.logger.info({ method: 'StreamEvents', group, caller: caller?.name, max_outstanding: maxOutstanding, pages: granted.pages ? granted.pages.size : 'all', ...trace }, 'event stream subscribed');
            // Response headers say the subscription is live (a new group exists from now on).
            call.sendMetadata(new Metadata());
            call.resume();
          },
          (err: unknown) => {
            if (err instanceof TooManyGroupsError) end(gatewayFailure(status.RESOURCE_EXHAUSTED, ErrorReason.TOO_MANY_CONSUMER_GROUPS, tooManyGroupsMessage(caller, err)));
            else if (err instanceof GroupScopeError) end(gatewayFailure(status.FAILED_PRECONDITION, ErrorReason.CONSUMER_GROUP_PAGES_MISMATCH, scopeMessage(caller, group, err)));
            else end(storeFailure(deps, err, 'subscribing failed'));
          },
        );
    };

    const apply = (req: StreamEventsRequest, c: Consumer) => {
      if (req.subscribe) {
        end(invalidRequest('StreamEvents request', [{ field: 'subscribe', description: 'only the first request of a stream may carry subscribe' }]));
        return;
      }
      let delayMs = 0;
      if (req.nack?.delay) {
        const ms = durationMs(req.nack.delay);
        if (ms === undefined) {
          end(invalidRequest('StreamEvents request', [{ field: 'nack.delay', description: 'must be a valid, non-negative duration' }]));
          return;
        }
        if (ms > MAX_NACK_DELAY_MS) {
          end(invalidRequest('StreamEvents request', [{ field: 'nack.delay', description: `must be at most ${MAX_NACK_DELAY_MS / 1000} s (1 hour)` }]));
          return;
        }
        delayMs = ms;
      }
      // Acks come with every event: the violations are only gathered once a bound is passed.
      if ((req.ack && !eventIdsFit(req.ack.eventIds)) || (req.nack && !eventIdsFit(req.nack.eventIds))) {
        const v = new ViolationList();
        if (req.ack) checkEventIds(v, 'ack.event_ids', req.ack.eventIds);
        if (req.nack) checkEventIds(v, 'nack.event_ids', req.nack.eventIds);
        end(invalidRequest('StreamEvents request', v.items));
        return;
      }
      const failed = (err: unknown) => end(storeFailure(deps, err, 'an ack or nack failed'));
      if (req.ack && req.ack.eventIds.length > 0) c.ack(req.ack.eventIds).catch(failed);
      if (req.nack && req.nack.eventIds.length > 0) c.nack(req.nack.eventIds, delayMs).catch(failed);
    };

    call.on('data', (req: StreamEventsRequest) => {
      if (stage === 'first') subscribe(req);
      else if (stage === 'open' && consumer) apply(req, consumer);
    });
    // The caller is done sending: it can ack nothing more, so its events go back now.
    call.on('end', () => end());
    call.on('cancelled', () => end());
    call.on('error', () => end());
    call.on('close', () => end());
  });
}

/** The edge's view of the EventService's deps: the caller by name. */
function edgeDeps(deps: EventServiceDeps): EdgeDeps {
  return { logger: deps.logger, callerOf: (metadata) => deps.callerOf(metadata)?.name };
}

const noPage = (): string => '';

/** `ListDeadLetters`: the group's parked events of the caller's Pages, oldest first. */
export function listDeadLettersHandler(deps: EventServiceDeps): handleUnaryCall<ListDeadLettersRequest, ListDeadLettersResponse> {
  return unaryEdge(edgeDeps(deps), { name: 'ListDeadLetters', quiet: true, verbatim: true }, noPage, (call) => listDeadLetters(deps, call));
}

function listDeadLetters(deps: EventServiceDeps, call: ServerUnaryCall<ListDeadLettersRequest, ListDeadLettersResponse>): CallResult<ListDeadLettersResponse> | Promise<CallResult<ListDeadLettersResponse>> {
  const req = call.request;
  const v = new ViolationList();
  checkGroup(v, 'consumer_group', req.consumerGroup);
  if (req.pageSize < 0) v.add('page_size', `must not be negative (got ${req.pageSize})`);
  if (req.pageToken.length > MAX_PAGE_TOKEN_LENGTH) v.add('page_token', 'is not a token this gateway handed out');
  const items = v.items;
  if (items.length > 0) return failed(invalidRequest('ListDeadLetters request', items));
  // AIP-158: a page size above the maximum is treated as the maximum.
  const pageSize = req.pageSize === 0 ? DEFAULT_DEAD_LETTER_PAGE_SIZE : Math.min(req.pageSize, MAX_DEAD_LETTER_PAGE_SIZE);
  const caller = deps.callerOf(call.metadata);
  return deps.store.listDeadLetters(ownedGroup(caller?.name, req.consumerGroup), caller?.pages, pageSize, req.pageToken).then(
    (r): CallResult<ListDeadLettersResponse> => ({
      ok: true,
      response: {
        deadLetters: r.deadLetters.map((dl) => ({ event: dl.event, deliveryAttempts: dl.deliveryAttempts, parkedTime: new Date(dl.parkedAt) })),
        nextPageToken: r.nextPageToken,
      },
      replayed: false,
    }),
    (err: unknown) =>
      failed(err instanceof InvalidPageTokenError
        ? invalidRequest('ListDeadLetters request', [{ field: 'page_token', description: 'is not a token this gateway handed out' }])
        : storeFailure(deps, err, 'listing dead letters failed')),
  );
}

/** `ReplayDeadLetters`: parked events (these, or all) of the caller's Pages back in delivery. */
export function replayDeadLettersHandler(deps: EventServiceDeps): handleUnaryCall<ReplayDeadLettersRequest, ReplayDeadLettersResponse> {
  return unaryEdge(edgeDeps(deps), { name: 'ReplayDeadLetters', quiet: true }, noPage, (call, _bounds, span) => replayDeadLetters(deps, call, span));
}

function replayDeadLetters(
  deps: EventServiceDeps,
  call: ServerUnaryCall<ReplayDeadLettersRequest, ReplayDeadLettersResponse>,
  span: Span | undefined,
): CallResult<ReplayDeadLettersResponse> | Promise<CallResult<ReplayDeadLettersResponse>> {
  const req = call.request;
  const v = new ViolationList();
  checkGroup(v, 'consumer_group', req.consumerGroup);
  if (req.eventIds.length > MAX_EVENT_IDS) v.add('event_ids', `must list at most ${MAX_EVENT_IDS} events (got ${req.eventIds.length}); replay in several calls`);
  else {
    req.eventIds.forEach((id, i) => {
      if (id === '') v.add(`event_ids[${i}]`, 'must not be empty');
      else if (id.length > MAX_EVENT_ID_LENGTH) v.add(`event_ids[${i}]`, `must be an event id of at most ${MAX_EVENT_ID_LENGTH} characters (got ${id.length})`);
    });
  }
  const items = v.items;
  if (items.length > 0) return failed(invalidRequest('ReplayDeadLetters request', items));
  const caller = deps.callerOf(call.metadata);
  return deps.store.replayDeadLetters(ownedGroup(caller?.name, req.consumerGroup), caller?.pages, req.eventIds).then(
    (replayed): CallResult<ReplayDeadLettersResponse> => {
      deps.logger.info({ method: 'ReplayDeadLetters', group: req.consumerGroup, caller: caller?.name, replayed, ...traceFields(span) }, 'dead letters replayed');
      return { ok: true, response: { replayed }, replayed: false };
    },
    (err: unknown) => failed(storeFailure(deps, err, 'replaying dead letters failed')),
  );
}

function checkGroup(v: ViolationList, field: string, group: string): void {
  if (group === '') v.add(field, 'is required');
  else if (group.length > MAX_GROUP_LENGTH) v.add(field, `must be at most ${MAX_GROUP_LENGTH} characters (got ${group.length})`);
  else if (!GROUP_PATTERN.test(group)) v.add(field, `must use only letters, digits and . _ : - (got ${JSON.stringify(shown(group))})`);
}

function eventIdsFit(ids: readonly string[]): boolean {
  if (ids.length > MAX_EVENT_IDS) return false;
  for (let i = 0; i < ids.length; i++) if (ids[i].length > MAX_EVENT_ID_LENGTH) return false;
  return true;
}

/** An ack or nack lists at most MAX_EVENT_IDS ids, each at most MAX_EVENT_ID_LENGTH long. */
function checkEventIds(v: ViolationList, field: string, ids: readonly string[]): void {
  if (ids.length > MAX_EVENT_IDS) {
    v.add(field, `must list at most ${MAX_EVENT_IDS} events (got ${ids.length}); send several`);
    return;
  }
  for (let i = 0; i < ids.length; i++) {
    if (ids[i].length > MAX_EVENT_ID_LENGTH) v.add(`${field}[${i}]`, `must be an event id of at most ${MAX_EVENT_ID_LENGTH} characters (got ${ids[i].length})`);
  }
}

/**
 * TOO_MANY_CONSUMER_GROUPS as a caller may read it: its own count and share, never how many
 * groups others hold. Without callers (one trusted network) the store's words.
 */
function tooManyGroupsMessage(caller: EventCaller | undefined, err: TooManyGroupsError): string {
  if (!caller) return err.message;
  if (err.share) {
    return `caller ${caller.name} holds ${err.share.held} consumer groups, its share (events.maxGroupsPerCaller ${err.share.bound}): subscribe to one of its groups, or wait until an abandoned one is deleted`;
  }
  return 'the gateway holds as many consumer groups as it may (events.maxGroups): subscribe to one of this caller\'s groups, or retry later';
}

/**
 * CONSUMER_GROUP_PAGES_MISMATCH as a caller may read it: the group is its own, and the message
 * names only the Pages it asked for, never the group's scope (which may hold Pages no longer
 * granted to it). Without callers, the store's words.
 */
function scopeMessage(caller: EventCaller | undefined, name: string, err: GroupScopeError): string {
  if (!caller) return err.message;
  const outside = err.outside;
  if (outside.length === 0) return `consumer group ${name} takes only the events of the Pages it was created with, none of which this caller may receive now: use another group`;
  return `consumer group ${name} takes only the events of the Pages it was created with; ${outside.slice(0, 5).join(', ')}${outside.length > 5 ? ', …' : ''} ${outside.length === 1 ? 'is' : 'are'} outside it: use another group`;
}

function checkPageIds(v: ViolationList, field: string, pageIds: readonly string[]): void {
  if (pageIds.length > MAX_PAGE_IDS) {
    v.add(field, `must list at most ${MAX_PAGE_IDS} Pages (got ${pageIds.length})`);
    return;
  }
  pageIds.forEach((id, i) => {
    if (id === '') v.add(`${field}[${i}]`, 'must not be empty');
    else if (id.length > MAX_PAGE_ID_LENGTH) v.add(`${field}[${i}]`, `must be a Page id of at most 20 digits (got ${id.length} characters)`);
  });
}

function startOf(v: ViolationList, sub: Subscribe): StartAt {
  if (sub.startTime !== undefined) {
    const ms = sub.startTime.getTime();
    if (!Number.isFinite(ms) || ms < 0 || ms > MAX_TIMESTAMP_MS) {
      v.add('subscribe.start_time', 'must be a valid time from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z (seconds 0 to 253402300799)');
    }
    return { kind: 'time', epochMs: ms };
  }
  switch (sub.start) {
    case StartPosition.START_POSITION_UNSPECIFIED:
    case StartPosition.START_POSITION_LATEST:
      return { kind: 'latest' };
    case StartPosition.START_POSITION_EARLIEST:
      return { kind: 'earliest' };
    default:
      v.add('subscribe.start', `must be a known StartPosition (got ${String(sub.start)})`);
      return { kind: 'latest' };
  }
}

type Grant = { ok: true; pages: ReadonlySet<string> | undefined } | { ok: false; page: string };

/**
 * The Pages a stream may receive: those asked for (each must be granted), or without a list
 * every Page the caller is granted. Without caller authentication every Page is allowed.
 */
function grantedPages(caller: EventCaller | undefined, asked: readonly string[]): Grant {
  if (asked.length === 0) return { ok: true, pages: caller?.pages ? new Set(caller.pages) : undefined };
  if (caller?.pages) for (const p of asked) if (!caller.pages.has(p)) return { ok: false, page: p };
  return { ok: true, pages: new Set(asked) };
}

function notGranted(caller: EventCaller | undefined, page: string): Failure {
  return gatewayFailure(status.PERMISSION_DENIED, ErrorReason.PAGE_NOT_GRANTED, `caller ${caller?.name ?? ''} may not use page ${shown(page, 64)}`);
}

/** A Duration in ms; undefined when negative or malformed. */
function durationMs(d: Duration): number | undefined {
  const seconds = Number(d.seconds);
  const ms = seconds * 1000 + d.nanos / 1e6;
  if (!Number.isFinite(ms) || ms < 0 || (seconds > 0 && d.nanos < 0) || (seconds < 0 && d.nanos > 0)) return undefined;
  return ms;
}

/** The failure a store error becomes: UNAVAILABLE for an unreachable or closing store, else INTERNAL (logged). */
function storeFailure(deps: EventServiceDeps, err: unknown, what: string): Failure {
  if (err instanceof StoreUnavailableError) {
    deps.logger.warn({ err }, `event store unavailable: ${what}`);
    return gatewayFailure(status.UNAVAILABLE, ErrorReason.EVENT_STORE_UNAVAILABLE, 'the event store is unavailable; subscribe again (unacked events are delivered again)', { retryAfterMs: STORE_RETRY_MS });
  }
  deps.logger.error({ err }, `event store failed: ${what}`);
  return INTERNAL_FAILURE;
}
