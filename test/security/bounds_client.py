"""A gRPC C-core client (Debian's python3-grpcio) sending oversized requests to the gateway.

    /usr/bin/python3 test/security/bounds_client.py --target HOST:PORT --gen DIR --page ID

DIR holds the Python code generated from proto/ (messenger.v1 and google.rpc). Every case
runs on ONE channel, each followed by a normal send on that same channel, with the C core's
default metadata limit (about 8 KiB per trailers block). Prints one JSON document:
{"cases": [{"case", "code", "message", "message_len", "details_bin_len", "trailers_bytes",
"status_decoded", "status_code", "violations", "last_violation", "page_id_echoed",
"elapsed_ms", "next_ok", "next_code", "next_details", "uncapped"}]}:
"uncapped" is what a second channel with a 4 MiB metadata limit received (diagnostics).
"""

import argparse
import json
import os
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--target", required=True)
parser.add_argument("--gen", required=True)
parser.add_argument("--page", required=True)
parser.add_argument("--recipient", default="42")
parser.add_argument("--big-error-recipient", default="big-error-data")
args = parser.parse_args()

sys.path.insert(0, args.gen)

import grpc  # noqa: E402
from google.rpc import error_details_pb2, status_pb2  # noqa: E402
from messenger.v1 import enums_pb2, message_pb2, recipient_pb2  # noqa: E402
from messenger.v1 import service_pb2, service_pb2_grpc  # noqa: E402

DETAILS_KEY = "grpc-status-details-bin"


def text_request(page_id, recipient, quick_replies=()):
    return service_pb2.SendMessageRequest(
        page_id=page_id,
        recipient=recipient_pb2.Recipient(id=recipient),
        messaging_type=enums_pb2.MESSAGING_TYPE_RESPONSE,
        message=message_pb2.Message(text="hello", quick_replies=list(quick_replies)),
    )


def too_many_long_quick_replies():
    return [
        message_pb2.QuickReply(
            content_type=message_pb2.QuickReply.CONTENT_TYPE_TEXT,
            title=("t%04d" % i).ljust(21, "x"),  # 21 characters: the limit is 20
            payload="p%d" % i,
        )
        for i in range(1000)
    ]


def trailers_of(err):
    try:
        return list(err.trailing_metadata() or ())
    except Exception:  # noqa: BLE001 - a broken call may have none
        return []


def describe_error(name, err, elapsed_ms, page_id=None):
    trailers = trailers_of(err)
    details_bin = next((v for k, v in trailers if k == DETAILS_KEY), None)
    size = 0
    for k, v in trailers:
        size += len(k) + len(v if isinstance(v, (bytes, str)) else str(v))
    message = err.details() or ""
    out = {
        "case": name,
        "code": err.code().name if err.code() else None,
        "message": message[:200],
        "message_len": len(message.encode("utf-8")),
        "details_bin_len": len(details_bin) if details_bin is not None else None,
        "trailers_bytes": size + len(message.encode("utf-8")),
        "status_decoded": False,
        "status_code": None,
        "violations": None,
        "last_violation": None,
        "page_id_echoed": None,
        "elapsed_ms": round(elapsed_ms, 1),
    }
    if details_bin is not None:
        try:
            st = status_pb2.Status.FromString(details_bin)
            out["status_decoded"] = True
            out["status_code"] = st.code
            for any_detail in st.details:
                if any_detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                    br = error_details_pb2.BadRequest()
                    any_detail.Unpack(br)
                    out["violations"] = len(br.field_violations)
                    if br.field_violations:
                        last = br.field_violations[-1]
                        out["last_violation"] = {"field": last.field, "description": last.description}
        except Exception as e:  # noqa: BLE001
            out["decode_error"] = repr(e)
    if page_id is not None:
        run = page_id[:1000]
        echoed = run in message or (details_bin is not None and run.encode() in details_bin)
        out["page_id_echoed"] = echoed
    return out


def call(stub, name, request, page_id=None):
    started = time.monotonic()
    try:
        stub.SendMessage(request, timeout=3)
        return {"case": name, "code": "OK", "elapsed_ms": round((time.monotonic() - started) * 1000, 1)}
    except grpc.RpcError as err:
        return describe_error(name, err, (time.monotonic() - started) * 1000, page_id)


def next_send(stub, result):
    try:
        res = stub.SendMessage(text_request(args.page, args.recipient), timeout=3)
        result.update({"next_ok": bool(res.message_id), "next_code": "OK", "next_details": ""})
    except grpc.RpcError as err:
        result.update({"next_ok": False, "next_code": err.code().name, "next_details": (err.details() or "")[:300]})
    return result


def uncapped(name, request, result):
    """What the gateway sent, read on a second channel that accepts 4 MiB of metadata (diagnostics only)."""
    options = [("grpc.max_metadata_size", 4 * 1024 * 1024), ("grpc.absolute_max_metadata_size", 4 * 1024 * 1024)]
    with grpc.insecure_channel(args.target, options=options) as channel:
        stub = service_pb2_grpc.MessengerServiceStub(channel)
        try:
            stub.SendMessage(request, timeout=3)
            result["uncapped"] = {"code": "OK"}
        except grpc.RpcError as err:
            probe = describe_error(name, err, 0)
            result["uncapped"] = {k: probe[k] for k in ("code", "message_len", "details_bin_len", "trailers_bytes", "violations")}
    return result


def main():
    results = []
    with grpc.insecure_channel(args.target) as channel:
        stub = service_pb2_grpc.MessengerServiceStub(channel)
        # Warm up: the channel works before the attack.
        results.append(next_send(stub, {"case": "warmup", "code": "OK"}))

        req = text_request(args.page, args.recipient, too_many_long_quick_replies())
        r = call(stub, "quick_replies", req)
        results.append(uncapped("quick_replies", req, next_send(stub, r)))

        long_page = "7" * 40000
        req = text_request(long_page, args.recipient)
        r = call(stub, "long_page_id", req, page_id=long_page)
        results.append(uncapped("long_page_id", req, next_send(stub, r)))

        req = text_request(args.page, args.big_error_recipient)
        r = call(stub, "big_error_data", req)
        results.append(uncapped("big_error_data", req, next_send(stub, r)))
    print(json.dumps({"grpc_version": grpc.__version__, "cases": results}))


if __name__ == "__main__":
    main()
