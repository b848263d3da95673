import type { handleBidiStreamingCall, ServerDuplexStream } from '@grpc/grpc-js';
import { ErrorReason } from '../../gen/messenger/v1/errors';
import { SendMessageRequest, type SendMessageResponse, type SendMessagesRequest, type SendMessagesResponse } from '../../gen/messenger/v1/service';
import { invalidRequest, type Failure } from '../errors/failure';
import { clipBytes } from '../errors/status-encoder';
import { redactSecrets } from '../redaction/secret-redaction';
import { serverSpanOf } from '../telemetry/server-span';
import { callBounds } from './call-bounds';
import { failed, type CallResult } from './call-result';
import { clientIdleFailure } from './client-idle';
import { IDEMPOTENCY_KEY_HEADER, runGraphCall } from './graph-call';
import { failStream, itemStart, streamEdge, streamItem } from './rpc-edge';
import { sendMessageSpec } from './send-message';
import type { ServiceDeps } from './service-deps';

// A rate-limited message of a bulk stream is not failed: the stream waits (Graph's
// estimate, or the page limiter's) and sends it again, this many times at most.
const MAX_RATE_LIMIT_WAITS = 5;
const MAX_RATE_LIMIT_WAIT_MS = 120_000;
/** A request id longer than this is refused; its answer echoes only this much of it. */
const MAX_ECHOED_REQUEST_ID = 256;

/**
 * `SendMessages`: many messages over one stream, results as they complete. Messages to the
 * same recipient of the same page go one after the other in arrival order; at most
 * `delivery.bulkConcurrency` are accepted and not yet answered, and the stream is not read
 * beyond that (HTTP/2 flow control pushes back on the caller).
 */
export function sendMessagesHandler(deps: ServiceDeps): handleBidiStreamingCall<SendMessagesRequest, SendMessagesResponse> {
  return streamEdge<SendMessagesRequest, SendMessagesResponse>(deps, 'SendMessages', (call) => {
    // One key for a whole stream would make items 2..n IDEMPOTENCY_KEY_REUSED: only the per-item field counts.
    if (call.metadata.get(IDEMPOTENCY_KEY_HEADER).length > 0) {
      failStream(call, invalidRequest('SendMessages stream', [{
        field: 'metadata.idempotency-key',
        description: 'is not accepted on a stream (it would apply to every item); set SendMessageRequest.idempotency_key on each item instead',
      }]));
      return;
    }
    const bounds = callBounds(call);
    const lanes = new Map<string, Promise<void>>();
    const inFlightIds = new Set<string>();
    let accepted = 0;
    let inputEnded = false;
    const limit = deps.delivery.bulkConcurrency;

    // The client's idle bound: nothing from it for limits.streamIdleMs while nothing of its own is
    // in flight ends the stream as the client's doing (CLIENT_STREAM_IDLE). One timer per stream.
    const idle = setTimeout(function onIdle() {
      if (inputEnded || call.cancelled) return;
      if (accepted > 0) return void idle.refresh();
      bounds.dispose();
      failStream(call, clientIdleFailure(deps.streamIdleMs, 'SendMessages stream'));
    }, deps.streamIdleMs);
    const stopIdle = () => clearTimeout(idle);
    call.on('cancelled', stopIdle);

    const finishIfDone = () => {
      if (inputEnded && accepted === 0) {
        bounds.dispose();
        call.end();
      }
    };

    call.on('data', (item: SendMessagesRequest) => {
      idle.refresh();
      accepted++;
      if (accepted >= limit) call.pause();
      const lane = laneOf(item);
      const previous = lanes.get(lane) ?? Promise.resolve();
      const run = previous
        .then(() => sendOne(deps, item, inFlightIds, bounds, call))
        .then((res) => {
          if (!call.cancelled) call.write(res);
          if (!inputEnded) idle.refresh();
        })
        .catch((err: unknown) => deps.logger.error({ err }, 'bulk send failed unexpectedly'))
        .finally(() => {
          if (lanes.get(lane) === run) lanes.delete(lane);
          accepted--;
          if (accepted < limit && call.isPaused()) call.resume();
          finishIfDone();
        });
      lanes.set(lane, run);
    });
    call.on('end', () => {
      inputEnded = true;
      stopIdle();
      finishIfDone();
    });
    call.on('error', () => {
      stopIdle();
      bounds.dispose();
    });
  });
}

/** Messages of one lane are sent strictly one after the other. */
function laneOf(item: SendMessagesRequest): string {
  const m = item.message;
  const id = m?.recipient?.identifier;
  if (!m || !id) return `invalid:${item.requestId}`;
  const value = id.$case === 'phoneNumber' ? id.value.phoneNumber : id.value;
  return `${m.pageId}\u0000${id.$case}\u0000${value}`;
}

async function sendOne(
  deps: ServiceDeps,
  item: SendMessagesRequest,
  inFlightIds: Set<string>,
  bounds: ReturnType<typeof callBounds>,
  call: ServerDuplexStream<SendMessagesRequest, SendMessagesResponse>,
): Promise<SendMessagesResponse> {
  const req = item.message ?? SendMessageRequest.fromPartial({});
  const start = itemStart(deps, 'SendMessages', req.pageId, call);
  let result: CallResult<SendMessageResponse>;
  if (!item.requestId || item.requestId.length > MAX_ECHOED_REQUEST_ID || inFlightIds.has(item.requestId)) {
    const violation = !item.requestId
      ? { field: 'request_id', description: 'is required' }
      : item.requestId.length > MAX_ECHOED_REQUEST_ID
        ? { field: 'request_id', description: `must be at most ${MAX_ECHOED_REQUEST_ID} characters (got ${item.requestId.length})` }
        : { field: 'request_id', description: `${item.requestId} is already in flight on this stream` };
    result = failed(invalidRequest('SendMessages item', [violation]));
  } else {
    inFlightIds.add(item.requestId);
    try {
      const key = req.idempotencyKey;
      let resends = 0;
      for (let waits = 0; ; waits++) {
        result = await runGraphCall(deps, sendMessageSpec, req, key, bounds, { span: undefined, parent: start.span });
        resends = result.resends || resends;
        const wait = result.ok ? undefined : rateLimitWait(result.failure);
        if (wait === undefined || waits >= MAX_RATE_LIMIT_WAITS || call.cancelled) break;
        if (bounds.deadline !== undefined && Date.now() + wait >= bounds.deadline) break;
        await new Promise((r) => setTimeout(r, wait));
      }
      // An item sent again after a rate-limit wait reports the resends of the latest round that made any.
      if (resends && !result.resends) result = { ...result, resends };
    } finally {
      inFlightIds.delete(item.requestId);
    }
  }
  // The request id is the caller's own, but it is bounded too (a 4 MB id must not come back whole).
  const requestId = redactSecrets(item.requestId.length > MAX_ECHOED_REQUEST_ID ? clipBytes(item.requestId, MAX_ECHOED_REQUEST_ID) : item.requestId);
  return { requestId, result: streamItem(deps, start, result, sendMessageSpec.describe), replayed: result.replayed };
}

/** How long to wait before sending a rate-limited message again; undefined for other failures. */
function rateLimitWait(failure: Failure): number | undefined {
  if (failure.reason !== ErrorReason.RATE_LIMITED && failure.reason !== ErrorReason.PAGE_RATE_LIMITED) return undefined;
  return Math.min(Math.max(failure.retryAfterMs ?? 1000, 1), MAX_RATE_LIMIT_WAIT_MS);
}
