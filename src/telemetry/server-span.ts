import type { Metadata, ServiceDefinition, ServiceError, UntypedServiceImplementation } from '@grpc/grpc-js';
import { errorMonitor } from 'node:events';
import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type TextMapGetter } from '@opentelemetry/api';
import {
  ATTR_GRPC_ERROR_MESSAGE, ATTR_GRPC_ERROR_NAME, ATTR_RPC_GRPC_STATUS_CODE, ATTR_RPC_METHOD, ATTR_RPC_SERVICE, ATTR_RPC_SYSTEM,
} from './attribute-names';
import { SERVER_ERROR_CODES } from './span-conventions-processor';
import { telemetryStarted } from './start-telemetry';

/**
 * The server span of each MessengerService call, made by the gateway rather than by
 * @opentelemetry/instrumentation-grpc, whose per-call wrapping (two nested contexts, the call
 * bound as an event emitter, its methods re-wrapped, all metadata copied to extract the
 * context) costs more than the span itself: replacing it gave x1.10-1.29 traced sends/s in
 * same-run A/Bs (bench/ab.ts). Same span: name
 * `grpc.<service>/<method>`, the pre-1.0 RPC attributes that instrumentation emits, the
 * caller's W3C context from the metadata as parent, and the gRPC server status rule.
 */
const tracer = trace.getTracer('messenger-gateway.grpc');

const metadataGetter: TextMapGetter<Metadata> = {
  get: (carrier, key) => {
    const values = carrier.get(key);
    return values.length === 0 ? undefined : values.length === 1 ? String(values[0]) : values.map(String);
  },
  keys: (carrier) => Object.keys(carrier.getMap()),
};

/** Each traced call's server span, for its handler to annotate and to parent the call's Graph spans. */
const spans = new WeakMap<object, Span>();

/**
 * The server span of a call (a handler's `call` object), when tracing is on and it records;
 * passed on explicitly from here: no AsyncLocalStorage carries it (sync-context-manager.ts).
 */
export function serverSpanOf(call: object): Span | undefined {
  const span = spans.get(call);
  return span?.isRecording() ? span : undefined;
}

type Handler = (call: { metadata: Metadata; on(event: string | symbol, listener: (...args: never[]) => void): unknown }, callback?: (err: ServiceError | null, ...rest: unknown[]) => void) => void;

/** Sets the status code, the server status rule and ends the span. */
function end(span: Span, code: number, err?: { name?: string; message?: string }): void {
  span.setAttribute(ATTR_RPC_GRPC_STATUS_CODE, code);
  if (err) {
    span.setAttributes({ [ATTR_GRPC_ERROR_NAME]: err.name ?? 'Error', [ATTR_GRPC_ERROR_MESSAGE]: err.message ?? '' });
    if (SERVER_ERROR_CODES.has(code)) span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
  }
  span.end();
}

/**
 * Wraps a service implementation so that each call has its server span (`serverSpanOf(call)`);
 * returns it unchanged when telemetry is off (then tracing costs nothing at all).
 */
export function tracedService<T extends UntypedServiceImplementation>(definition: ServiceDefinition, implementation: T): T {
  if (!telemetryStarted()) return implementation;
  const traced: UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(implementation)) {
    const method = definition[name];
    if (!method) {
      traced[name] = handler;
      continue;
    }
    // path is "/messenger.v1.MessengerService/SendMessage"
    const [service, rpc] = method.path.slice(1).split('/');
    const spanName = `grpc.${service}/${rpc}`;
    const attributes = { [ATTR_RPC_SYSTEM]: 'grpc', [ATTR_RPC_SERVICE]: service, [ATTR_RPC_METHOD]: rpc };
    const answersWithCallback = !method.responseStream;
    const original = handler as unknown as Handler;
    const wrapped: Handler = (call, callback) => {
      const parent = propagation.extract(ROOT_CONTEXT, call.metadata, metadataGetter);
      const span = tracer.startSpan(spanName, { kind: SpanKind.SERVER, attributes }, parent);
      let ended = false;
      const once = (code: number, err?: { name?: string; message?: string }) => {
        if (ended) return;
        ended = true;
        end(span, code, err);
      };
      spans.set(call, span);
      if (answersWithCallback) {
        original(call, (err, ...rest) => {
          once(err ? (err.code ?? 2) : 0, err ?? undefined);
          callback!(err, ...rest);
        });
        return;
      }
      call.on('finish', () => once(0));
      call.on(errorMonitor, (err: ServiceError) => once(err.code ?? 2, err));
      // A stream the caller cancels neither finishes nor errors: without this its span would never end.
      call.on('cancelled', () => once(1, { name: 'Error', message: 'cancelled by the caller' }));
      original(call);
    };
    traced[name] = wrapped as unknown as UntypedServiceImplementation[string];
  }
  return traced as T;
}
