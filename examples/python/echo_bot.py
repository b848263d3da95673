"""An echo bot: consumes the gateway's events (EventService.StreamEvents) as a consumer group
and answers every message a person sends with SendMessage, then acks the event.

    /usr/bin/python3 examples/python/echo_bot.py --page 1001

A text gets "echo: <text>", a tapped quick reply or postback button "got <payload>". The
event's `traceparent` (and `tracestate`) go with the reply as gRPC metadata, so the
customer's message, the webhook, this bot and the reply are one trace. One line per event
on stdout. Generate the client first: bash examples/generate-clients.sh
"""

import argparse
import json
import os
import queue
import signal
import sys

# The generated code (examples/python/gen) imports itself as `messenger.v1...` and `google.rpc...`.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen"))

import grpc  # noqa: E402
from google.protobuf import duration_pb2  # noqa: E402
from google.rpc import error_details_pb2, status_pb2  # noqa: E402
from messenger.v1 import enums_pb2, errors_pb2, events_pb2, events_pb2_grpc  # noqa: E402
from messenger.v1 import message_pb2, recipient_pb2, service_pb2, service_pb2_grpc  # noqa: E402

# Replies: a 10 s deadline, UNAVAILABLE retried up to 3 attempts (as send_message.py).
# The event stream is long-lived: its deadline is --stream-deadline, then it is reopened.
SERVICE_CONFIG = json.dumps({"methodConfig": [{
    "name": [{"service": "messenger.v1.MessengerService"}],
    "timeout": "10s",
    "retryPolicy": {
        "maxAttempts": 3,
        "initialBackoff": "0.2s",
        "maxBackoff": "2s",
        "backoffMultiplier": 2,
        "retryableStatusCodes": ["UNAVAILABLE"],
    },
}]})
REPLY_DEADLINE_S = 10
_END = object()  # ends the request stream (half-close)


def reply_text(event: events_pb2.Event) -> str | None:
    """What the bot answers to an event, or None when it does not answer (not a person's message)."""
    kind = event.WhichOneof("kind")
    if kind == "message":
        m = event.message
        if m.is_echo:
            return None  # the Page's own message: answering it would loop
        if m.quick_reply_payload:
            return f"got {m.quick_reply_payload}"
        return f"echo: {m.text}" if m.text else None  # attachments only: nothing to echo
    if kind == "postback":
        return f"got {event.postback.payload}"
    return None


def kind_name(event: events_pb2.Event) -> str:
    kind = event.WhichOneof("kind") or "unknown"
    return "message_echo" if kind == "message" and event.message.is_echo else kind


def rich_status(err: grpc.RpcError) -> status_pb2.Status | None:
    """The google.rpc.Status of a failed call, from the `grpc-status-details-bin` trailer."""
    for key, value in err.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            return status_pb2.Status.FromString(value)
    return None


def decode_failure(err: grpc.RpcError) -> tuple[str, float | None]:
    """The decoded details of a failed reply, on one line, and how long to wait before the
    event should be tried again (None: do not try again)."""
    parts = [err.code().name, json.dumps(err.details(), ensure_ascii=False)]
    retry_delay = None
    maybe_delivered = False
    st = rich_status(err)
    for d in st.details if st else ():
        if d.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            d.Unpack(info)
            parts.append(f"reason={info.reason}")
            maybe_delivered = info.metadata.get("maybe_delivered") == "true"
        elif d.Is(errors_pb2.GraphError.DESCRIPTOR):
            graph = errors_pb2.GraphError()
            d.Unpack(graph)
            parts.append(f"graph_code={graph.code} fbtrace_id={graph.fbtrace_id}")
        elif d.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry = error_details_pb2.RetryInfo()
            d.Unpack(retry)
            retry_delay = retry.retry_delay.ToTimedelta().total_seconds()
            parts.append(f"retry_delay={retry_delay:g}s")
        elif d.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            d.Unpack(bad)
            violations = "; ".join(f"{v.field}: {v.description}" for v in bad.field_violations)
            parts.append(f"violations={json.dumps(violations, ensure_ascii=False)}")
    if maybe_delivered:
        parts.append("maybe_delivered=true")
        retry_delay = None  # the reply may have gone out: a second one would be a duplicate
    return " ".join(parts), retry_delay


class EchoBot:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.auth = [("authorization", f"Bearer {args.api_key}")] if args.api_key else []
        self.channel = grpc.insecure_channel(args.target, options=[("grpc.service_config", SERVICE_CONFIG)])
        self.events = events_pb2_grpc.EventServiceStub(self.channel)
        self.messenger = service_pb2_grpc.MessengerServiceStub(self.channel)
        self.handled = 0

    def reply(self, event: events_pb2.Event, text: str) -> service_pb2.SendMessageResponse:
        # Pass the event's trace context on: the reply's spans join the webhook's trace.
        metadata = list(self.auth)
        if event.traceparent:
            metadata.append(("traceparent", event.traceparent))
        if event.tracestate:
            metadata.append(("tracestate", event.tracestate))
        return self.messenger.SendMessage(
            service_pb2.SendMessageRequest(
                page_id=event.page_id,
                recipient=recipient_pb2.Recipient(id=event.sender_id),
                message=message_pb2.Message(text=text),
                messaging_type=enums_pb2.MESSAGING_TYPE_RESPONSE),
            timeout=REPLY_DEADLINE_S, metadata=metadata)

    def handle(self, res: events_pb2.StreamEventsResponse) -> events_pb2.StreamEventsRequest:
        """Answers one event, prints its line, and returns the ack (or nack) to send."""
        e = res.event
        attempt = f" attempt={res.delivery_attempt}" if res.delivery_attempt > 1 else ""
        ack = events_pb2.StreamEventsRequest(ack=events_pb2.Ack(event_ids=[e.event_id]))
        text = reply_text(e)
        if text is None:
            print(f"skipped {e.event_id} page={e.page_id} from={e.sender_id} kind={kind_name(e)}{attempt}", flush=True)
            return ack
        try:
            sent = self.reply(e, text)
        except grpc.RpcError as err:
            details, retry_delay = decode_failure(err)
            if retry_delay is None:
                # Retrying cannot help (or could send twice): log it and move the conversation on.
                print(f"failed {e.event_id} page={e.page_id} to={e.sender_id}{attempt} {details} -> acked", flush=True)
                return ack
            # The gateway says when trying again can help: the event comes back after that long
            # (its conversation waits meanwhile; past the gateway's maximum deliveries it is parked).
            print(f"failed {e.event_id} page={e.page_id} to={e.sender_id}{attempt} {details} -> nacked, redelivery in {retry_delay:g}s", flush=True)
            delay = duration_pb2.Duration()
            delay.FromNanoseconds(int(retry_delay * 1e9))
            return events_pb2.StreamEventsRequest(nack=events_pb2.Nack(event_ids=[e.event_id], delay=delay))
        trace_id = e.traceparent.split("-")[1] if e.traceparent.count("-") == 3 else "-"
        # When the conversation's 24-hour window ends (the gateway's record as of this event):
        # after it, only a HUMAN_AGENT reply or a utility template goes out.
        window_end = e.standard_window_end.ToJsonString() if e.HasField("standard_window_end") else "-"
        print(f"replied {e.event_id} page={e.page_id} to={sent.recipient_id}{attempt} text={json.dumps(text, ensure_ascii=False)} "
              f"message_id={sent.message_id} trace_id={trace_id} window_end={window_end}", flush=True)
        return ack

    def stream_once(self) -> bool:
        """One StreamEvents stream. True when the bot is done, False to open a new stream."""
        requests: queue.Queue = queue.Queue()
        requests.put(events_pb2.StreamEventsRequest(subscribe=events_pb2.Subscribe(
            consumer_group=self.args.group,
            page_ids=self.args.page,
            start=events_pb2.START_POSITION_EARLIEST if self.args.from_start else events_pb2.START_POSITION_LATEST)))

        def request_iter():
            while (item := requests.get()) is not _END:
                yield item

        responses = self.events.StreamEvents(request_iter(), timeout=self.args.stream_deadline, metadata=self.auth)
        try:
            responses.initial_metadata()  # the gateway answers the headers once the subscription is live
            pages = f" for page(s) {', '.join(self.args.page)}" if self.args.page else ""
            print(f"echo bot on {self.args.target} as group {self.args.group}{pages}", file=sys.stderr, flush=True)
            for res in responses:
                if not res.HasField("event"):
                    continue
                requests.put(self.handle(res))
                self.handled += 1
                if self.args.max_events and self.handled >= self.args.max_events:
                    requests.put(_END)  # half-close: the gateway applies the acks, then ends the stream
            return True  # the gateway ended the stream (after our half-close, or it is shutting down)
        except grpc.RpcError as err:
            if err.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                return False  # the stream's deadline: unacked events go back to the group; subscribe again
            details, _ = decode_failure(err)
            print(f"StreamEvents failed: {details}", file=sys.stderr, flush=True)
            raise
        finally:
            requests.put(_END)

    def run(self) -> int:
        try:
            while not self.stream_once():
                pass
            return 0
        except grpc.RpcError:
            return 1
        except KeyboardInterrupt:
            return 0
        finally:
            self.channel.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default=os.environ.get("GATEWAY_TARGET", "127.0.0.1:50051"))
    parser.add_argument("--group", default="echo-bot-python", help="the consumer group (default echo-bot-python)")
    parser.add_argument("--page", action="append", default=[], help="only this Page's events (repeatable; default: all granted)")
    parser.add_argument("--max-events", type=int, default=0, metavar="N", help="exit after N events (default: run until Ctrl-C)")
    parser.add_argument("--once", action="store_const", const=1, dest="max_events", help="the same as --max-events 1")
    parser.add_argument("--from-start", action="store_true", help="a new group begins with every retained event")
    parser.add_argument("--stream-deadline", type=float, default=3600, metavar="SECONDS",
                        help="deadline of each StreamEvents stream; it is reopened when it expires (default 3600)")
    parser.add_argument("--api-key", default=os.environ.get("GATEWAY_API_KEY"), help="sent as authorization: Bearer KEY")
    args = parser.parse_args()
    if args.max_events < 0:
        parser.error("--max-events must be 0 or more")
    # SIGTERM stops the bot as Ctrl-C does: unacked events go back to the group.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    return EchoBot(args).run()


if __name__ == "__main__":
    sys.exit(main())
