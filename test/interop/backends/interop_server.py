"""interop.v1.InteropService on Python grpcio, for test/interop.

Usage: /usr/bin/python3 interop_server.py <stubs-dir> [--no-health]

<stubs-dir> holds what `python3 -m grpc_tools.protoc` generated from
test/proto/interop/v1/interop.proto, google/api and google/rpc, and the
grpc.health.v1 proto (as health_pb2, health_pb2_grpc). Without --no-health it
serves grpc.health.v1.Health, implemented here from that proto (Debian has no
grpcio-health-checking; with it, `health.HealthServicer()` does the same).
Prints "listening <port>" once it accepts calls; exits on SIGTERM or stdin EOF.
"""

import signal
import sys
import threading
import time
from concurrent import futures

sys.path.insert(0, sys.argv[1])

import grpc  # noqa: E402
import health_pb2  # noqa: E402
import health_pb2_grpc  # noqa: E402
from google.rpc import error_details_pb2, status_pb2  # noqa: E402
from interop.v1 import interop_pb2, interop_pb2_grpc  # noqa: E402

cancelled = 0
sleeps_started = 0
lock = threading.Lock()


def count_cancelled():
    global cancelled
    with lock:
        cancelled += 1


def count_sleep():
    global sleeps_started
    with lock:
        sleeps_started += 1


class Interop(interop_pb2_grpc.InteropServiceServicer):
    def Echo(self, request, context):
        received = {
            key: value
            for key, value in context.invocation_metadata()
            if key.startswith("x-interop-")
        }
        headers = [("x-interop-reply", "header")]
        if request.http_code:
            headers.append(("x-http-code", str(request.http_code)))
        context.send_initial_metadata(headers)
        context.set_trailing_metadata([("x-interop-trailer", "trailer")])
        return interop_pb2.EchoResponse(text=request.text, metadata=received)

    def Fail(self, request, context):
        if getattr(request, "raise"):
            raise RuntimeError("boom from python")
        code = request.code or 2
        if request.details:
            detail = error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(
                        field="text", description="must not be empty"
                    )
                ]
            )
            status = status_pb2.Status(code=code, message=request.message)
            status.details.add().Pack(detail)
            context.abort_with_status(RichStatus(code, request.message, status))
        context.abort(STATUS_CODES[code], request.message)

    def Sleep(self, request, context):
        count_sleep()
        done = threading.Event()
        context.add_callback(done.set)
        finished = done.wait(request.ms / 1000)
        if finished and not context.is_active():
            count_cancelled()
            return interop_pb2.SleepResponse(cancelled=True)
        return interop_pb2.SleepResponse(cancelled=False)

    def Count(self, request, context):
        for n in range(1, request.count + 1):
            if n > 1 and request.interval_ms:
                time.sleep(request.interval_ms / 1000)
            if not context.is_active():
                count_cancelled()
                return
            yield interop_pb2.CountResponse(n=n)

    def Stats(self, request, context):
        with lock:
            return interop_pb2.StatsResponse(cancelled=cancelled, sleeps_started=sleeps_started)


STATUS_CODES = {code.value[0]: code for code in grpc.StatusCode}


class RichStatus(grpc.Status):
    """A status with grpc-status-details-bin, as grpcio-status's rpc_status.to_status makes."""

    def __init__(self, code, message, status):
        self.code = STATUS_CODES[code]
        self.details = message
        self.trailing_metadata = (("grpc-status-details-bin", status.SerializeToString()),)


class Health(health_pb2_grpc.HealthServicer):
    def Check(self, request, context):
        if request.service not in ("", "interop.v1.InteropService"):
            context.abort(grpc.StatusCode.NOT_FOUND, "unknown service")
        return health_pb2.HealthCheckResponse(
            status=health_pb2.HealthCheckResponse.SERVING
        )

    def Watch(self, request, context):
        yield self.Check(request, context)
        while context.is_active():
            time.sleep(0.5)


def main():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=32))
    interop_pb2_grpc.add_InteropServiceServicer_to_server(Interop(), server)
    if "--no-health" not in sys.argv:
        health_pb2_grpc.add_HealthServicer_to_server(Health(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(f"listening {port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    stop.wait()
    server.stop(0)


if __name__ == "__main__":
    main()
