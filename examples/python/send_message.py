"""Sends a typing indicator and a text message through the Messenger gRPC gateway,
and prints the rich error details (google.rpc.Status) when the gateway refuses.

    /usr/bin/python3 examples/python/send_message.py --to 1234567890 --text "Hello from Python"

Generate the client first: bash examples/generate-clients.sh
"""

import argparse
import json
import os
import sys

# The generated code (examples/python/gen) imports itself as `messenger.v1...` and `google.rpc...`.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen"))

import grpc  # noqa: E402
from google.rpc import error_details_pb2, status_pb2  # noqa: E402
from messenger.v1 import enums_pb2, errors_pb2, message_pb2, recipient_pb2  # noqa: E402
from messenger.v1 import service_pb2, service_pb2_grpc  # noqa: E402


# Deadline and retries for every call: retry only UNAVAILABLE (the gateway or Graph was
# briefly unreachable), at most 3 attempts with exponential backoff. RetryInfo is read below.
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


def rich_status(err: grpc.RpcError) -> status_pb2.Status | None:
    """The google.rpc.Status of a failed call, from the `grpc-status-details-bin` trailer.

    With pip's `grpcio-status` this is `grpc_status.rpc_status.from_call(err)`; Debian's
    python3-grpcio does not ship it, so we read the trailer ourselves (same thing).
    """
    for key, value in err.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            return status_pb2.Status.FromString(value)
    return None


def print_error(rpc: str, err: grpc.RpcError) -> None:
    print(f"{rpc} failed: {err.code().name}: {err.details()}")
    st = rich_status(err)
    for any_detail in st.details if st else ():
        if any_detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            any_detail.Unpack(info)
            metadata = " ".join(f"{k}={v}" for k, v in sorted(info.metadata.items()))
            print(f"  ErrorInfo: reason={info.reason} domain={info.domain} {metadata}")
        elif any_detail.Is(errors_pb2.GraphError.DESCRIPTOR):
            graph = errors_pb2.GraphError()
            any_detail.Unpack(graph)
            code_name = errors_pb2.GraphErrorCode.Name(graph.code) if graph.code in errors_pb2.GraphErrorCode.values() else "?"
            print(f"  GraphError: code={graph.code} ({code_name}) error_subcode={graph.error_subcode} "
                  f"type={graph.type} fbtrace_id={graph.fbtrace_id}")
        elif any_detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry = error_details_pb2.RetryInfo()
            any_detail.Unpack(retry)
            print(f"  RetryInfo: retry after {retry.retry_delay.ToTimedelta().total_seconds():g}s")
        elif any_detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            any_detail.Unpack(bad)
            for v in bad.field_violations:
                print(f"  BadRequest: {v.field}: {v.description}")
        else:
            print(f"  (detail {any_detail.type_url})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default=os.environ.get("GATEWAY_TARGET", "127.0.0.1:50051"))
    parser.add_argument("--page", default=os.environ.get("PAGE_ID", "1001"), help="the sending Page id")
    parser.add_argument("--to", required=True, help="the recipient's PSID")
    parser.add_argument("--text", default="Hello from Python")
    args = parser.parse_args()

    recipient = recipient_pb2.Recipient(id=args.to)
    with grpc.insecure_channel(args.target, options=[("grpc.service_config", SERVICE_CONFIG)]) as channel:
        client = service_pb2_grpc.MessengerServiceStub(channel)
        rpc = "SendSenderAction"
        try:
            # Always set a deadline (seconds): the gateway gives Graph what is left of it.
            res = client.SendSenderAction(
                service_pb2.SendSenderActionRequest(
                    page_id=args.page, recipient=recipient, action=enums_pb2.SENDER_ACTION_TYPING_ON),
                timeout=10)
            print(f"SendSenderAction ok: action=TYPING_ON recipient_id={res.recipient_id}")

            rpc = "SendMessage"
            res = client.SendMessage(
                service_pb2.SendMessageRequest(
                    page_id=args.page,
                    recipient=recipient,
                    message=message_pb2.Message(text=args.text),
                    messaging_type=enums_pb2.MESSAGING_TYPE_RESPONSE),
                timeout=10)
            print(f"SendMessage ok: recipient_id={res.recipient_id} message_id={res.message_id}")
            return 0
        except grpc.RpcError as err:
            print_error(rpc, err)
            return 1


if __name__ == "__main__":
    sys.exit(main())
