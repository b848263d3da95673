"""A StreamEvents consumer (Debian's python3-grpcio) that subscribes and never reads its stream.

    /usr/bin/python3 test/interop/never_reading_consumer.py --target HOST:PORT --gen DIR --group NAME --max-outstanding N

DIR holds the Python code generated from proto/. Prints "live" once the gateway answered the
subscription's headers, then never iterates the responses (the C core still reads the socket,
so the gateway's write buffer stays low). When stdin closes it prints the stream's final status
code if the stream has ended ("ended CODE"), else "open", and exits 0.
"""

import argparse
import sys
import threading

parser = argparse.ArgumentParser()
parser.add_argument("--target", required=True)
parser.add_argument("--gen", required=True)
parser.add_argument("--group", required=True)
parser.add_argument("--max-outstanding", type=int, required=True)
args = parser.parse_args()

sys.path.insert(0, args.gen)

import grpc  # noqa: E402
from messenger.v1 import events_pb2, events_pb2_grpc  # noqa: E402


stdin_closed = threading.Event()


def requests():
    yield events_pb2.StreamEventsRequest(
        subscribe=events_pb2.Subscribe(
            consumer_group=args.group,
            max_outstanding=args.max_outstanding,
            start=events_pb2.START_POSITION_LATEST,
        )
    )
    # Half-closing would end the stream: hold the request side open until stdin closes.
    stdin_closed.wait()


channel = grpc.insecure_channel(args.target)
stub = events_pb2_grpc.EventServiceStub(channel)
call = stub.StreamEvents(requests())
call.initial_metadata()  # the subscription is live: the gateway sent the headers
print("live", flush=True)
sys.stdin.read()
stdin_closed.set()
print(f"ended {call.code().name}" if call.done() else "open", flush=True)
call.cancel()
channel.close()
