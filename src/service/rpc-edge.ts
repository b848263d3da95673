import { Metadata, status, type handleBidiStreamingCall, type handleClientStreamingCall, type handleUnaryCall, type sendUnaryData, type ServerDuplexStream, type ServerReadableStream, type ServerUnaryCall } from '@grpc/grpc-js';
import type { Span } from '@opentelemetry/api';
import type { Status } from '../../gen/google/rpc/status';
import { INTERNAL_FAILURE, reasonName, type Failure } from '../errors/failure';
import { encodeFailure, failureStatus, redactResponse } from '../errors/status-encoder';
import type { Logger } from '../log/logger';
import { traceFields } from '../telemetry/log-trace-fields';
import { annotateCaller, annotateFailure, annotateReplay, annotateSuccess, type FailureFacts } from '../telemetry/send-span';
import { serverSpanOf } from '../telemetry/server-span';
import { callBounds, type CancellableCall } from './call-bounds';
import { logCall, type CallStart, type SuccessIds } from './call-log';
import type { CallResult } from './call-result';
import type { CallBounds } from '../call/bounds';

/**
 * The RPC edge: the one place where a call's outcome becomes what the caller, the log and the
 * trace see. Every handler runs inside one of its wrappers (unaryEdge, clientStreamEdge,
 * streamEdge); a stream that answers many times answers through streamItem and ends through
 * failStream; the access interceptor refuses through refuseCall. Handlers return a CallResult (an answer
 * or a Failure, with the facts of the call) and never encode: a failure becomes a gRPC status
 * here, once, bounded and redacted by src/errors/status-encoder.ts, and an answer is redacted
 * here. Here too the call's log line is written (only when its level is enabled) and its
 * server span annotated, from the CallResult's facts.
 */

/** What the edge needs of the gateway. */
export interface EdgeDeps {
  logger: Logger;
  /** The authenticated caller's name for a call (by its metadata object). */
  callerOf(metadata: Metadata): string | undefined;
}

/** How the edge reports one RPC. */
export interface EdgeMethod<Res> {
  /** The RPC's name, as log lines and metrics say it. */
  name: string;
  /** Ids of a success worth a log field and span attribute. */
  describe?(res: Res): SuccessIds;
  /**
   * A rejection of the handler's promise that still has an answer (the delivery store went
   * away): returns it, or throws the error back (a bug, answered INTERNAL and logged).
   */
  recover?(err: unknown, span: Span | undefined): CallResult<Res>;
  /** No send log line and no send metric (calls that are not sends: the EventService's). */
  quiet?: true;
  /**
   * The answer goes out as the store holds it, unredacted: the caller's own received events
   * (ListDeadLetters), which StreamEvents delivers as they are too.
   */
  verbatim?: true;
}

/** The metadata marking an answer replayed from the idempotency store. */
export const REPLAY_METADATA_KEY = 'messenger-idempotent-replay';

/** What a unary or client-stream handler runs: its result now (the synchronous fast path) or later. */
export type RunCall<C, Res> = (call: C, bounds: CallBounds, span: Span | undefined) => CallResult<Res> | Promise<CallResult<Res>>;

/** A unary RPC inside the edge; `pageOf` names the Page of its request for the log line. */
export function unaryEdge<Req, Res extends object>(deps: EdgeDeps, method: EdgeMethod<Res>, pageOf: (req: Req) => string, run: RunCall<ServerUnaryCall<Req, Res>, Res>): handleUnaryCall<Req, Res> {
  return (call, callback) => answerCall(deps, method, call, pageOf(call.request), run, callback);
}

/** A client-stream RPC inside the edge: its Page, read from the stream, comes back in its result. */
export function clientStreamEdge<Req, Res extends object>(deps: EdgeDeps, method: EdgeMethod<Res>, run: RunCall<ServerReadableStream<Req, Res>, Res>): handleClientStreamingCall<Req, Res> {
  return (call, callback) => answerCall(deps, method, call, '', run, callback);
}

function answerCall<C extends CancellableCall & { metadata: Metadata }, Res extends object>(
  deps: EdgeDeps,
  method: EdgeMethod<Res>,
  call: C,
  page: string,
  run: RunCall<C, Res>,
  callback: sendUnaryData<Res>,
): void {
  const span = serverSpanOf(call);
  const start: CallStart = { method: method.name, page, caller: deps.callerOf(call.metadata), startedAt: performance.now(), span };
  annotateCaller(span, start.caller);
  const bounds = callBounds(call);
  // One promise reaction for the result and the rejection; no closure on the synchronous path.
  let started: CallResult<Res> | Promise<CallResult<Res>>;
  try {
    started = run(call, bounds, span);
  } catch (err) {
    bounds.dispose();
    unexpected(deps, method.quiet, start, err, callback);
    return;
  }
  if (!(started instanceof Promise)) {
    bounds.dispose();
    settle(deps, method, start, started, callback);
    return;
  }
  started.then(
    (result) => {
      bounds.dispose();
      settle(deps, method, start, result, callback);
    },
    (err: unknown) => {
      bounds.dispose();
      let result: CallResult<Res>;
      try {
        if (!method.recover) throw err;
        result = method.recover(err, span);
      } catch (bug) {
        unexpected(deps, method.quiet, start, bug, callback);
        return;
      }
      settle(deps, method, start, result, callback);
    },
  );
}

/** Logs, annotates and sends a result; a throw on the way is a bug, answered INTERNAL. */
function settle<Res extends object>(deps: EdgeDeps, method: EdgeMethod<Res>, start: CallStart, result: CallResult<Res>, callback: sendUnaryData<Res>): void {
  try {
    const span = start.span;
    // Only a replay carries a trailer of its own; grpc-js sends empty trailers otherwise.
    const trailer = result.replayed ? replayTrailer() : undefined;
    if (result.replayed) annotateReplay(span);
    if (result.ok) {
      // The ids are read from the answer as redacted: the log line need not redact them again.
      const answer = method.verbatim ? result.response : redactResponse(result.response);
      const ids = method.describe?.(answer);
      annotateSuccess(span, ids, result.bytes);
      if (!method.quiet) logCall(deps.logger, start, result, ids, !method.verbatim);
      callback(null, answer, trailer);
      return;
    }
    annotateFailure(span, failureFacts(result.failure, result.bytes));
    if (!method.quiet) logCall(deps.logger, start, result, undefined);
    callback(encodeFailure(result.failure, trailer));
  } catch (err) {
    unexpected(deps, method.quiet, start, err, callback);
  }
}

function unexpected(deps: EdgeDeps, quiet: boolean | undefined, start: CallStart, err: unknown, callback: sendUnaryData<never>): void {
  deps.logger.error({ err, method: start.method, ...traceFields(start.span) }, 'unexpected failure');
  annotateFailure(start.span, failureFacts(INTERNAL_FAILURE, undefined));
  if (!quiet) logCall(deps.logger, start, { ok: false, failure: INTERNAL_FAILURE, replayed: false }, undefined);
  callback(encodeFailure(INTERNAL_FAILURE));
}

/** The span facts of a failed call. */
function failureFacts(f: Failure, bytes: number | undefined): FailureFacts {
  return { reason: reasonName(f.reason), violations: f.violations?.length, retryAfterMs: f.retryAfterMs, graph: f.graph, bytes };
}

function replayTrailer(): Metadata {
  const trailer = new Metadata();
  trailer.set(REPLAY_METADATA_KEY, 'true');
  return trailer;
}

/**
 * A bidi stream inside the edge: the caller on its span, and a throw of its handler answered
 * INTERNAL (logged). The handler writes its items through streamItem and fails through failStream.
 */
export function streamEdge<Req, Res>(deps: EdgeDeps, name: string, run: (call: ServerDuplexStream<Req, Res>) => void): handleBidiStreamingCall<Req, Res> {
  return (call) => {
    const span = serverSpanOf(call);
    annotateCaller(span, deps.callerOf(call.metadata));
    try {
      run(call);
    } catch (err) {
      deps.logger.error({ err, method: name, ...traceFields(span) }, 'unexpected failure');
      annotateFailure(span, failureFacts(INTERNAL_FAILURE, undefined));
      failStream(call, INTERNAL_FAILURE);
    }
  };
}

/** What a stream that answers per item (SendMessages) writes for one: its answer redacted, or its failure as a bounded status. */
export type ItemAnswer<Res> = { $case: 'response'; value: Res } | { $case: 'error'; value: Status };

/** One item of a stream of sends: its log line written, its answer made. Items annotate no span (the stream's span is shared). */
export function streamItem<Res extends object>(deps: EdgeDeps, start: CallStart, result: CallResult<Res>, describe: ((res: Res) => SuccessIds) | undefined): ItemAnswer<Res> {
  if (result.ok) {
    const answer = redactResponse(result.response);
    logCall(deps.logger, start, result, describe?.(answer), true);
    return { $case: 'response', value: answer };
  }
  logCall(deps.logger, start, result, undefined);
  return { $case: 'error', value: failureStatus(result.failure) };
}

/** The beginning of one item of a stream of sends, for its log line. */
export function itemStart(deps: EdgeDeps, method: string, page: string, call: { metadata: Metadata }): CallStart {
  return { method, page, caller: deps.callerOf(call.metadata), startedAt: performance.now(), span: serverSpanOf(call) };
}

/** Ends a stream (server or bidi) with a failure, encoded here. */
export function failStream(call: { emit(event: 'error', err: unknown): unknown }, failure: Failure): void {
  call.emit('error', encodeFailure(failure));
}

/** What the access interceptor's refusal goes through (grpc-js's `sendStatus`). */
export interface Refusable {
  sendStatus(status: { code: status; details: string; metadata: Metadata }): void;
}

/** The "call refused" log line of a refusal: its method (path), caller, and fields of its own. */
export interface RefusalLine {
  logger: Logger;
  method: string;
  caller: string | undefined;
  fields?: Record<string, unknown>;
}

/**
 * A call refused before any handler ran (authentication, the Page grants, the bounds on calls):
 * its log line, when `line` is given, and its status, encoded here.
 */
export function refuseCall(call: Refusable, failure: Failure, line?: RefusalLine): void {
  if (line) {
    line.logger.warn({ method: line.method.slice(0, 200), grpc_code: status[failure.code], caller: line.caller, reason: reasonName(failure.reason), ...line.fields }, 'call refused');
  }
  call.sendStatus(encodeFailure(failure));
}
