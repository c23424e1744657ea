"""Client CPU per call (and per streamed message) of ``GrpcClient`` against raw grpcio.

The library's promise is that request objects, checks and trace propagation
cost little next to grpcio itself, so both sides make the same call (same
message, same ids in the metadata: the context's ``x-trace-id`` and
``correlation-id`` and a fresh ``request-id``, same 30 s timeout, inside a
``RequestContext``) and only the client process's CPU is counted: wall time
would mostly measure the server and the loopback. The server runs in another
process but on the same 2 cores, and per-call CPU drifts by 10% or more from
one second to the next; so each scenario runs many short rounds, raw and ours
back to back with alternating order, and compares medians. The median of the
rounds' own ratios is printed too, being steadier still.

The streaming rows measure the same way, per message instead of per call: a
round is one stream of ``--messages`` small messages each side, so opening
the stream is spread over 10,000 messages and what is compared is what each
message costs, over ``--stream-rounds`` rounds (9: each lasts far longer than
a round of calls, so fewer cover the drift). Server streaming reads
``DownloadObject`` to its end; client streaming sends ``UploadObject`` a list
of chunks; bidi ping-pong writes one ``ObjectChunk`` to ``ChecksumChunks``
and reads its ``ChunkChecksum`` before writing the next, on one stream. The
raw side is what a hand-written caller would write with the generated
``ObjectStorageStub``: a plain iterator for the upload, a queue-fed request
iterator for the blocking bidi call (grpcio's blocking API reads requests
only from an iterator), ``write`` and ``read`` on the grpc.aio call; with the
same ids in its metadata and the same timeout.

Two groups of rows then price what the observability stages add, sync and
async (sequential and 64 in flight), unary calls only: a stage's cost is per
call, and spread over a stream's 10,000 messages it would not show.

- prometheus: ``GrpcClient`` with ``PrometheusClientMetrics`` (over a fresh
  ``CollectorRegistry``) against the same client without it, so the baseline
  column is our own client; target ``PROMETHEUS_TARGET_RATIO``.
- otel: ``GrpcClient`` with ``OpenTelemetryClientStage`` against raw grpcio
  instrumented by opentelemetry-instrumentation-grpc, per channel
  (``grpcext.intercept_channel`` with ``client_interceptor``, and
  ``aio_client_interceptors`` on the aio channel) rather than through
  ``GrpcInstrumentorClient().instrument()``, which would patch grpc under our
  client too. One SDK ``TracerProvider`` serves both (``otel_sdk`` says why a
  ``SimpleSpanProcessor`` over an exporter that drops spans); the raw side
  sends the same ids, and the interceptor adds ``traceparent`` as our stage
  does, through the global propagator. The interceptor records no metrics
  and our stage records ``rpc.client.call.duration``: the ``otel`` rows give
  our stage an SDK ``MeterProvider`` with a reader, the ``otel traces-only``
  rows the API's no-op one, the like-for-like match. The ``otel off`` rows
  are the first rows again, both sides uninstrumented, measured after the
  stage was made (it makes ``RequestContext`` follow the active span, for
  every client in the process): what wiring tracing in costs calls that do
  not trace. Target ``OTEL_TARGET_RATIO``, no more than the instrumented raw
  side; these rows run last, and are skipped, saying why, while the stage
  cannot be imported.

The ``box`` rows, run first, price the library as a user meets it: our
client with nothing configured (structlog not configured, no logging
configuration, default options, no ``RequestContext``: it then sends no id)
against a raw stub sending no metadata, sync and async (sequential and 64 in
flight); target ``BOX_TARGET_RATIO``. Every other row configures structlog at
INFO, as a service in production would, and gives our client
``sent_ids=SAME_IDS``, so both sides send the same ids.

``--only`` picks row groups (box, unary, streams, prometheus, otel), for a
quicker look at one of them.

Run with ``make bench``; it prints a table per group and always exits 0,
because it is a measurement rather than a test.
"""

import argparse
import asyncio
import gc
import importlib.metadata
import logging
import multiprocessing
import os
import platform
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from multiprocessing.connection import Connection
from queue import SimpleQueue
from typing import Any

import grpc
import grpc.aio
import structlog
from google.protobuf import __version__ as protobuf_version
from opentelemetry.instrumentation.grpc import aio_client_interceptors, client_interceptor
from opentelemetry.instrumentation.grpc.grpcext import intercept_channel
from prometheus_client import CollectorRegistry

from app.Contexts.Backoffice.Users.Infrastructure.Grpc.GetUserGrpcRequest import GetUserGrpcRequest
from grpc_request_client import GrpcCallStage, GrpcClient, GrpcResponse, RequestContext
from grpc_request_client.prometheus import PrometheusClientMetrics
from protos.storage_pb2 import DownloadRequest, ObjectChunk, UploadResult
from protos.storage_pb2_grpc import ObjectStorageStub
from protos.user_pb2 import GetUserRequest, User
from protos.user_pb2_grpc import UserServiceStub
from tests.Benchmarks import otel_sdk, user_server
from tests.Support.ChunksRequest import ChunksRequest
from tests.Support.DownloadRequest import DownloadRequest as DownloadGrpcRequest

TIMEOUT = 30.0
TARGET_RATIO = 1.05
BOX_TARGET_RATIO = 1.15  # ours with nothing configured / raw grpcio sending no metadata
PROMETHEUS_TARGET_RATIO = 1.05  # ours with the stage / ours without it
OTEL_TARGET_RATIO = 1.0  # ours with the stage / raw grpcio with the OTel interceptor
IN_FLIGHT = 64
USER_ID = "42"
TRACE_ID_KEY = "x-trace-id"
CORRELATION_ID_KEY = "correlation-id"
REQUEST_ID_KEY = "request-id"
# What our client sends in the same-metadata rows: the ids ``_trace_metadata`` sends by hand.
SAME_IDS = ("trace_id", "correlation_id", "request_id")
SERVER_START_SECONDS = 30.0
SERVER_STOP_SECONDS = 5.0
CHUNK_SIZE = 16  # bytes per streamed chunk: small, so what is measured is the per-message cost
OBJECT_KEY = user_server.OBJECT_KEY
# The row groups ``--only`` picks from, in the order they run: box first, before anything
# was logged through structlog; otel last, since making its stage changes how every client
# in the process reads the request context.
GROUPS = ("box", "unary", "streams", "prometheus", "otel")

Batch = Callable[[int], object]
AsyncCall = Callable[[], Awaitable[object]]
AsyncBatch = Callable[[AsyncCall, int], Coroutine[Any, Any, None]]
# An async side of a comparison: runs that many calls (or streams that many messages).
AsyncRun = Callable[[int], Coroutine[Any, Any, object]]


@dataclass(frozen=True)
class Settings:
    rounds: int
    calls: int
    warmup: int
    messages: int = 10_000  # per stream, in the streaming rows
    stream_rounds: int = 9
    groups: tuple[str, ...] = GROUPS

    def streaming(self) -> "Settings":
        """A round is one stream of ``messages`` a side; one stream of ``warmup`` warms each up.

        Fewer rounds than the unary rows: a round of 10,000 messages lasts
        0.2 to 1.5 s a side where a round of calls lasts 0.05 s, so 9 rounds
        already spread over the drift the unary rows' 25 are there to average.
        """
        return replace(self, rounds=self.stream_rounds, calls=self.messages)


@dataclass(frozen=True)
class Comparison:
    """Per-call CPU of both sides, one value per round, in the order they were measured."""

    name: str
    raw_us: tuple[float, ...]
    ours_us: tuple[float, ...]
    target: float = TARGET_RATIO

    @property
    def raw(self) -> float:
        return statistics.median(self.raw_us)

    @property
    def ours(self) -> float:
        return statistics.median(self.ours_us)

    @property
    def ratio(self) -> float:
        return self.ours / self.raw

    @property
    def round_ratios(self) -> tuple[float, ...]:
        """Each round's ours/raw, from two batches run back to back.

        Neighbouring batches share the machine's mood, so these ratios scatter
        far less than either side's per-call CPU does; their median and spread
        say how far to trust the ratio of medians.
        """
        return tuple(ours / raw for raw, ours in zip(self.raw_us, self.ours_us, strict=True))

    @property
    def paired_ratio(self) -> float:
        return statistics.median(self.round_ratios)

    @property
    def ratio_quartiles(self) -> tuple[float, float]:
        first, _, third = statistics.quantiles(self.round_ratios, method="inclusive")
        return first, third

    @property
    def met(self) -> bool:
        return self.ratio <= self.target


@dataclass(frozen=True)
class Group:
    """A table's worth of rows: what they compare, and what the baseline column measured."""

    title: str
    baseline: str  # the baseline column's heading, before "us"
    results: tuple[Comparison, ...]
    skipped: str | None = None  # why the group has no rows, when it has none


# --- the calls, one per side and flavour -------------------------------------------------


def _trace_metadata() -> tuple[tuple[str, str], ...]:
    """What a hand-written caller would send to propagate the ids, as the client does."""
    return (
        (TRACE_ID_KEY, RequestContext.get_trace_id() or ""),
        (CORRELATION_ID_KEY, RequestContext.get_correlation_id() or ""),
        (REQUEST_ID_KEY, uuid.uuid4().hex),
    )


def _raw_sync_call(stub: UserServiceStub) -> User:
    return stub.GetUser(
        GetUserRequest(user_id=USER_ID), timeout=TIMEOUT, metadata=_trace_metadata()
    )


def _our_sync_call(client: GrpcClient) -> GrpcResponse:
    return client.call(GetUserGrpcRequest(USER_ID))


def _bare_sync_call(stub: UserServiceStub) -> User:
    """A grpcio stub's call as most code makes it: no metadata at all."""
    return stub.GetUser(GetUserRequest(user_id=USER_ID), timeout=TIMEOUT)


async def _bare_async_call(stub: UserServiceStub) -> User:
    return await stub.GetUser(GetUserRequest(user_id=USER_ID), timeout=TIMEOUT)


async def _raw_async_call(stub: UserServiceStub) -> User:
    return await stub.GetUser(
        GetUserRequest(user_id=USER_ID), timeout=TIMEOUT, metadata=_trace_metadata()
    )


async def _our_async_call(client: GrpcClient) -> GrpcResponse:
    return await client.call_async(GetUserGrpcRequest(USER_ID))


# --- streams, one per side, flavour and call kind: each streams ``messages`` messages ----------
# The chunks sent are made once per count, outside the measured rounds, and shared by both
# sides; the bidi rows write one chunk over and over.

_BIDI_CHUNK = ObjectChunk(object_key=OBJECT_KEY, offset=0, data=b"c" * CHUNK_SIZE)
_UPLOADS: dict[int, list[ObjectChunk]] = {}


def _upload_chunks(messages: int) -> list[ObjectChunk]:
    chunks = _UPLOADS.get(messages)
    if chunks is None:
        chunks = _UPLOADS[messages] = [
            ObjectChunk(object_key=OBJECT_KEY, offset=index * CHUNK_SIZE, data=b"u" * CHUNK_SIZE)
            for index in range(messages)
        ]
    return chunks


def _download_message(messages: int) -> DownloadRequest:
    return DownloadRequest(object_key=OBJECT_KEY, chunks=messages, chunk_size=CHUNK_SIZE)


def _download_request(messages: int) -> DownloadGrpcRequest:
    return DownloadGrpcRequest(messages, CHUNK_SIZE, key=OBJECT_KEY, timeout=TIMEOUT)


def _upload_request(messages: int) -> ChunksRequest:
    return ChunksRequest(_upload_chunks(messages), timeout=TIMEOUT)


def _bidi_request() -> ChunksRequest:
    return ChunksRequest(None, method="ChecksumChunks", timeout=TIMEOUT)


def _raw_sync_download(stub: ObjectStorageStub, messages: int) -> int:
    received = 0
    for _ in stub.DownloadObject(
        _download_message(messages), timeout=TIMEOUT, metadata=_trace_metadata()
    ):
        received += 1
    return received


def _our_sync_download(client: GrpcClient, messages: int) -> int:
    received = 0
    with client.stream(_download_request(messages)) as chunks:
        for _ in chunks:
            received += 1
    return received


def _raw_sync_upload(stub: ObjectStorageStub, messages: int) -> UploadResult:
    return stub.UploadObject(
        iter(_upload_chunks(messages)), timeout=TIMEOUT, metadata=_trace_metadata()
    )


def _our_sync_upload(client: GrpcClient, messages: int) -> GrpcResponse:
    return client.call(_upload_request(messages))


def _raw_sync_ping_pong(stub: ObjectStorageStub, messages: int) -> int:
    """grpcio's blocking bidi call reads its requests from an iterator: one fed by a queue."""
    requests: SimpleQueue[ObjectChunk | None] = SimpleQueue()
    replies = stub.ChecksumChunks(
        iter(requests.get, None), timeout=TIMEOUT, metadata=_trace_metadata()
    )
    put, read, chunk = requests.put, replies.__next__, _BIDI_CHUNK
    for _ in range(messages):
        put(chunk)
        read()
    put(None)
    for _ in replies:  # the end of the stream, and its status
        raise RuntimeError("the benchmark server answered more checksums than chunks")
    return messages


def _our_sync_ping_pong(client: GrpcClient, messages: int) -> int:
    with client.stream(_bidi_request()) as checksums:
        write, read, chunk = checksums.write, checksums.read, _BIDI_CHUNK
        for _ in range(messages):
            write(chunk)
            read()
        checksums.done_writing()
        if read() is not None:  # the end of the stream, and its status
            raise RuntimeError("the benchmark server answered more checksums than chunks")
    return messages


async def _raw_async_download(stub: ObjectStorageStub, messages: int) -> int:
    received = 0
    async for _ in stub.DownloadObject(
        _download_message(messages), timeout=TIMEOUT, metadata=_trace_metadata()
    ):
        received += 1
    return received


async def _our_async_download(client: GrpcClient, messages: int) -> int:
    received = 0
    async with client.stream_async(_download_request(messages)) as chunks:
        async for _ in chunks:
            received += 1
    return received


async def _raw_async_upload(stub: ObjectStorageStub, messages: int) -> UploadResult:
    return await stub.UploadObject(
        iter(_upload_chunks(messages)), timeout=TIMEOUT, metadata=_trace_metadata()
    )


async def _our_async_upload(client: GrpcClient, messages: int) -> GrpcResponse:
    return await client.call_async(_upload_request(messages))


async def _raw_async_ping_pong(stub: ObjectStorageStub, messages: int) -> int:
    call = stub.ChecksumChunks(timeout=TIMEOUT, metadata=_trace_metadata())
    write, read, chunk = call.write, call.read, _BIDI_CHUNK
    for _ in range(messages):
        await write(chunk)
        await read()
    await call.done_writing()
    if await read() is not grpc.aio.EOF:  # type: ignore[attr-defined]  # grpc-stubs lacks it
        raise RuntimeError("the benchmark server answered more checksums than chunks")
    return messages


async def _our_async_ping_pong(client: GrpcClient, messages: int) -> int:
    async with client.stream_async(_bidi_request()) as checksums:
        write, read, chunk = checksums.write, checksums.read, _BIDI_CHUNK
        for _ in range(messages):
            await write(chunk)
            await read()
        await checksums.done_writing()
        if await read() is not None:
            raise RuntimeError("the benchmark server answered more checksums than chunks")
    return messages


# --- batches: how calls are strung together -----------------------------------------------
# One scope per batch: every call runs inside a request context, but the scope's own
# cost (a uuid4) would be paid equally by both sides and only dilute the ratio.


def _sync_batch(call: Callable[[], object], calls: int) -> None:
    with RequestContext.scope():
        for _ in range(calls):
            call()


async def _sequential_batch(call: AsyncCall, calls: int) -> None:
    with RequestContext.scope():
        for _ in range(calls):
            await call()


async def _in_flight_batch(call: AsyncCall, calls: int) -> None:
    with RequestContext.scope():
        for _ in range(calls // IN_FLIGHT):
            await asyncio.gather(*(call() for _ in range(IN_FLIGHT)))


# The out-of-the-box rows run with no request context at all, as a script's calls do.


def _unscoped_batch(call: Callable[[], object], calls: int) -> None:
    for _ in range(calls):
        call()


async def _unscoped_sequential_batch(call: AsyncCall, calls: int) -> None:
    for _ in range(calls):
        await call()


async def _unscoped_in_flight_batch(call: AsyncCall, calls: int) -> None:
    for _ in range(calls // IN_FLIGHT):
        await asyncio.gather(*(call() for _ in range(IN_FLIGHT)))


def _stream_batch(stream: Callable[[int], object], messages: int) -> None:
    """One stream of ``messages`` messages, in a scope of its own as a batch of calls has."""
    with RequestContext.scope():
        stream(messages)


async def _async_stream_batch(stream: AsyncRun, messages: int) -> None:
    with RequestContext.scope():
        await stream(messages)


# --- measuring ------------------------------------------------------------------------------


def _cpu_us_per_call(batch: Batch, calls: int) -> float:
    """CPU of the whole process (grpc's C threads included) per call, in microseconds.

    Garbage is collected first so that one side does not pay for the other's.
    """
    gc.collect()
    started = time.process_time()
    batch(calls)
    return (time.process_time() - started) / calls * 1e6


def _compare(
    name: str, raw: Batch, ours: Batch, settings: Settings, target: float = TARGET_RATIO
) -> Comparison:
    """Warm both sides up, then alternate which goes first, so neither always runs second."""
    for batch in (raw, ours):
        batch(settings.warmup)
    raw_us: list[float] = []
    ours_us: list[float] = []
    for round_number in range(settings.rounds):
        if round_number % 2:
            ours_us.append(_cpu_us_per_call(ours, settings.calls))
            raw_us.append(_cpu_us_per_call(raw, settings.calls))
        else:
            raw_us.append(_cpu_us_per_call(raw, settings.calls))
            ours_us.append(_cpu_us_per_call(ours, settings.calls))
    return Comparison(name, tuple(raw_us), tuple(ours_us), target)


def _check_reachable(response: GrpcResponse) -> None:
    """Fail loudly before measuring, since a failing call is far cheaper than a real one."""
    if not response.is_success():
        raise RuntimeError(f"benchmark server answered {response!r}")


def _check_streamed(name: str, messages: int, outcomes: tuple[object, ...]) -> None:
    """Every side of a streaming row streamed all its messages, before any is measured.

    The readers return how many messages they read; our upload its response,
    which counts what it sent; the raw upload the server's reply, which only
    comes once the server read the whole stream. A stream that failed has
    raised already (a raw one ``RpcError``, ours the domain's error).
    """
    for outcome in outcomes:
        streamed = outcome
        if isinstance(outcome, GrpcResponse):
            _check_reachable(outcome)
            streamed = outcome.messages_sent()
        if streamed != messages and not isinstance(outcome, UploadResult):
            raise RuntimeError(f"{name}: {streamed} of {messages} messages streamed")


def _client(target: str, **options: Any) -> GrpcClient:
    """Our client in the same-metadata rows: it sends the ids the raw side sends by hand."""
    return GrpcClient(target, sent_ids=SAME_IDS, **options)


@contextmanager
def _structlog_unconfigured() -> Iterator[None]:
    """structlog as an application that never configured it has it; the bench's own after."""
    configured = structlog.get_config()
    structlog.reset_defaults()
    try:
        yield
    finally:
        structlog.configure(**configured)


def _box_group(target: str, settings: Settings) -> tuple[Group, ...]:
    with _structlog_unconfigured():
        rows = (_box_sync_row(target, settings), *_box_async_rows(target, settings))
    return (
        Group(
            "GrpcClient out of the box (structlog and logging not configured, default options, "
            "no request context) vs raw grpcio sending no metadata: unary calls",
            "raw",
            rows,
        ),
    )


def _box_sync_row(target: str, settings: Settings) -> Comparison:
    with grpc.insecure_channel(target) as channel, GrpcClient(target) as client:
        _check_reachable(_our_sync_call(client))
        raw = partial(_unscoped_batch, partial(_bare_sync_call, UserServiceStub(channel)))
        ours = partial(_unscoped_batch, partial(_our_sync_call, client))
        return _compare("out of the box sync", raw, ours, settings, BOX_TARGET_RATIO)


def _box_async_rows(target: str, settings: Settings) -> list[Comparison]:
    with asyncio.Runner() as runner:
        channel = runner.run(_open_aio_channel(target))
        client = GrpcClient(target)
        try:
            _check_reachable(runner.run(_our_async_call(client)))
            return _async_rows(
                runner,
                "out of the box ",
                partial(_bare_async_call, UserServiceStub(channel)),
                partial(_our_async_call, client),
                settings,
                BOX_TARGET_RATIO,
                (_unscoped_sequential_batch, _unscoped_in_flight_batch),
            )
        finally:
            runner.run(client.aclose())
            runner.run(channel.close(grace=None))


def _sync_comparison(target: str, settings: Settings) -> Comparison:
    with grpc.insecure_channel(target) as channel, _client(target) as client:
        _check_reachable(_our_sync_call(client))
        return _sync_row("sync", UserServiceStub(channel), client, settings)


def _sync_row(
    name: str,
    stub: UserServiceStub,
    client: GrpcClient,
    settings: Settings,
    target: float = TARGET_RATIO,
) -> Comparison:
    raw = partial(_sync_batch, partial(_raw_sync_call, stub))
    ours = partial(_sync_batch, partial(_our_sync_call, client))
    return _compare(name, raw, ours, settings, target)


async def _open_aio_channel(
    target: str, interceptors: Sequence[grpc.aio.ClientInterceptor] | None = None
) -> grpc.aio.Channel:
    """Create the channel inside the loop that will use it, as grpc.aio requires."""
    return grpc.aio.insecure_channel(target, interceptors=interceptors)


def _on_loop(runner: asyncio.Runner, run: AsyncRun, calls: int) -> None:
    """Run an async batch to the end, so async sides fit the measuring code of sync ones.

    Every batch runs on the runner's one loop, since aio channels belong to the
    loop that opened them; the ``run()`` around a batch costs a few
    microseconds, spread over hundreds of calls (or thousands of messages).
    """
    runner.run(run(calls))


def _compare_async(
    runner: asyncio.Runner,
    name: str,
    batch: AsyncBatch,
    raw_call: AsyncCall,
    our_call: AsyncCall,
    settings: Settings,
    target: float = TARGET_RATIO,
) -> Comparison:
    return _compare_on_loop(
        runner, name, partial(batch, raw_call), partial(batch, our_call), settings, target
    )


def _compare_on_loop(
    runner: asyncio.Runner,
    name: str,
    raw: AsyncRun,
    ours: AsyncRun,
    settings: Settings,
    target: float = TARGET_RATIO,
) -> Comparison:
    return _compare(
        name, partial(_on_loop, runner, raw), partial(_on_loop, runner, ours), settings, target
    )


def _whole_gathers(settings: Settings) -> Settings:
    """Round call counts to whole gathers, since CPU is divided by the calls really made."""

    def whole(calls: int) -> int:
        return max(1, round(calls / IN_FLIGHT)) * IN_FLIGHT

    return replace(settings, calls=whole(settings.calls), warmup=whole(settings.warmup))


def _async_comparisons(target: str, settings: Settings) -> list[Comparison]:
    with asyncio.Runner() as runner:
        channel = runner.run(_open_aio_channel(target))
        client = _client(target)
        try:
            _check_reachable(runner.run(_our_async_call(client)))
            raw_call = partial(_raw_async_call, UserServiceStub(channel))
            our_call = partial(_our_async_call, client)
            return _async_rows(runner, "", raw_call, our_call, settings)
        finally:
            runner.run(client.aclose())
            runner.run(channel.close(grace=None))


def _async_rows(
    runner: asyncio.Runner,
    prefix: str,
    raw_call: AsyncCall,
    our_call: AsyncCall,
    settings: Settings,
    target: float = TARGET_RATIO,
    batches: tuple[AsyncBatch, AsyncBatch] = (_sequential_batch, _in_flight_batch),
) -> list[Comparison]:
    """The async unary rows of one pair of calls: one at a time, then ``IN_FLIGHT`` at once.

    ``batches`` strings the calls together for each row, in a request context unless told.
    """
    sequential, in_flight = batches
    return [
        _compare_async(
            runner, f"{prefix}async sequential", sequential, raw_call, our_call, settings, target
        ),
        _compare_async(
            runner,
            f"{prefix}async {IN_FLIGHT} in flight",
            in_flight,
            raw_call,
            our_call,
            _whole_gathers(settings),
            target,
        ),
    ]


# The streaming rows: (name, raw side, our side), each side streaming the messages it is told.
_SYNC_STREAMS: tuple[
    tuple[str, Callable[[ObjectStorageStub, int], object], Callable[[GrpcClient, int], object]],
    ...,
] = (
    ("server stream sync", _raw_sync_download, _our_sync_download),
    ("client stream sync", _raw_sync_upload, _our_sync_upload),
    ("bidi ping-pong sync", _raw_sync_ping_pong, _our_sync_ping_pong),
)
_ASYNC_STREAMS: tuple[
    tuple[
        str,
        Callable[[ObjectStorageStub, int], Coroutine[Any, Any, object]],
        Callable[[GrpcClient, int], Coroutine[Any, Any, object]],
    ],
    ...,
] = (
    ("server stream async", _raw_async_download, _our_async_download),
    ("client stream async", _raw_async_upload, _our_async_upload),
    ("bidi ping-pong async", _raw_async_ping_pong, _our_async_ping_pong),
)
# Messages per stream in the check each side makes before it is measured.
_CHECK_MESSAGES = 1_000


def _sync_stream_comparisons(target: str, settings: Settings) -> list[Comparison]:
    streaming = settings.streaming()
    with grpc.insecure_channel(target) as channel, _client(target) as client:
        stub = ObjectStorageStub(channel)
        results = []
        for name, raw_stream, our_stream in _SYNC_STREAMS:
            raw, ours = partial(raw_stream, stub), partial(our_stream, client)
            with RequestContext.scope():
                outcomes = (raw(_CHECK_MESSAGES), ours(_CHECK_MESSAGES))
            _check_streamed(name, _CHECK_MESSAGES, outcomes)
            results.append(
                _compare(name, partial(_stream_batch, raw), partial(_stream_batch, ours), streaming)
            )
        return results


async def _checked_async(name: str, raw: AsyncRun, ours: AsyncRun) -> None:
    with RequestContext.scope():
        outcomes = (await raw(_CHECK_MESSAGES), await ours(_CHECK_MESSAGES))
    _check_streamed(name, _CHECK_MESSAGES, outcomes)


def _async_stream_comparisons(target: str, settings: Settings) -> list[Comparison]:
    streaming = settings.streaming()
    with asyncio.Runner() as runner:
        channel = runner.run(_open_aio_channel(target))
        client = _client(target)
        try:
            stub = ObjectStorageStub(channel)
            results = []
            for name, raw_stream, our_stream in _ASYNC_STREAMS:
                raw, ours = partial(raw_stream, stub), partial(our_stream, client)
                runner.run(_checked_async(name, raw, ours))
                results.append(
                    _compare_on_loop(
                        runner,
                        name,
                        partial(_async_stream_batch, raw),
                        partial(_async_stream_batch, ours),
                        streaming,
                    )
                )
            return results
        finally:
            runner.run(client.aclose())
            runner.run(channel.close(grace=None))


# --- the observability stages: our client with a stage against a baseline of the same calls ---


def _check_stage(what: str, made: Callable[[], float], call: Callable[[], object]) -> None:
    """One call before measuring: answered, and seen once by what is measured.

    ``made`` counts what the instrumentation left behind (counter increments,
    spans, histogram measurements): a side whose stage or interceptor did not
    run would be far cheaper, and the row would flatter it.
    """
    before = made()
    outcome = call()
    if isinstance(outcome, GrpcResponse):
        _check_reachable(outcome)
    if (count := made() - before) != 1:
        raise RuntimeError(f"one call made {count:g} {what}, not 1: its instrumentation is off")


def _prometheus_started(registry: CollectorRegistry) -> float:
    """``grpc_client_started_total`` over every method: one per call the stage saw."""
    return sum(
        sample.value
        for metric in registry.collect()
        for sample in metric.samples
        if sample.name == "grpc_client_started_total"
    )


def _prometheus_group(target: str, settings: Settings) -> Group:
    registry = CollectorRegistry()
    stages = [PrometheusClientMetrics(registry)]
    started = partial(_prometheus_started, registry)
    with _client(target) as plain, _client(target, stages=stages) as measured:
        _check_reachable(_our_sync_call(plain))
        _check_stage("grpc_client_started_total", started, partial(_our_sync_call, measured))
        rows = [
            _compare(
                "prometheus sync",
                partial(_sync_batch, partial(_our_sync_call, plain)),
                partial(_sync_batch, partial(_our_sync_call, measured)),
                settings,
                PROMETHEUS_TARGET_RATIO,
            )
        ]
    with asyncio.Runner() as runner:
        plain, measured = _client(target), _client(target, stages=stages)
        try:
            _check_reachable(runner.run(_our_async_call(plain)))
            _check_stage(
                "grpc_client_started_total",
                started,
                lambda: runner.run(_our_async_call(measured)),
            )
            rows += _async_rows(
                runner,
                "prometheus ",
                partial(_our_async_call, plain),
                partial(_our_async_call, measured),
                settings,
                PROMETHEUS_TARGET_RATIO,
            )
        finally:
            runner.run(measured.aclose())
            runner.run(plain.aclose())
    return Group(
        f"GrpcClient with PrometheusClientMetrics (fresh CollectorRegistry) vs without: "
        f"prometheus-client {importlib.metadata.version('prometheus-client')}",
        "without",
        tuple(rows),
    )


@dataclass(frozen=True)
class _Tracing:
    """The one SDK setup both sides report to, and our two stages over it."""

    provider: Any  # opentelemetry.sdk.trace.TracerProvider
    exporter: otel_sdk.DroppingSpanExporter
    reader: Any  # the full stage's InMemoryMetricReader
    stages: tuple[tuple[str, list[GrpcCallStage[Any]]], ...]  # (row prefix, stages)

    def spans(self) -> float:
        return self.exporter.exported

    def durations(self) -> float:
        return otel_sdk.recorded(self.reader, CALL_DURATION)


# The stage's duration histogram, checked to grow by one a call in the full ``otel`` rows.
CALL_DURATION = "rpc.client.call.duration"
_TRACES_ONLY = "otel traces-only "


def _tracing(stage: Callable[..., GrpcCallStage[Any]]) -> _Tracing:
    exporter = otel_sdk.DroppingSpanExporter()
    provider = otel_sdk.tracer_provider(exporter)
    meter_provider, reader = otel_sdk.meters()
    return _Tracing(
        provider,
        exporter,
        reader,
        (
            ("otel ", [stage(tracer_provider=provider, meter_provider=meter_provider)]),
            (_TRACES_ONLY, [stage(tracer_provider=provider, meter_provider=otel_sdk.no_meters())]),
        ),
    )


# The rows of the two otel groups: traced ones (against the instrumented raw side), then the
# ``otel off`` ones (against plain raw grpcio).
OtelRows = tuple[list[Comparison], list[Comparison]]


def _otel_sync_rows(target: str, tracing: _Tracing, settings: Settings) -> OtelRows:
    """The raw side's interceptor wraps the plain raw side's channel: one channel, two stubs."""
    interceptor = client_interceptor(tracer_provider=tracing.provider)
    with grpc.insecure_channel(target) as channel, _client(target) as plain:
        plain_stub = UserServiceStub(channel)
        traced_stub = UserServiceStub(intercept_channel(channel, interceptor))
        _check_stage("spans", tracing.spans, partial(_raw_sync_call, traced_stub))
        rows = []
        for prefix, stages in tracing.stages:
            with _client(target, stages=stages) as traced:
                _check_stage("spans", tracing.spans, partial(_our_sync_call, traced))
                if prefix != _TRACES_ONLY:
                    _check_stage(CALL_DURATION, tracing.durations, partial(_our_sync_call, traced))
                rows.append(
                    _sync_row(f"{prefix}sync", traced_stub, traced, settings, OTEL_TARGET_RATIO)
                )
        _check_reachable(_our_sync_call(plain))
        return rows, [_sync_row("otel off sync", plain_stub, plain, settings)]


def _otel_async_rows(target: str, tracing: _Tracing, settings: Settings) -> OtelRows:
    interceptors = aio_client_interceptors(tracer_provider=tracing.provider)
    with asyncio.Runner() as runner:
        channel = runner.run(_open_aio_channel(target))
        traced_channel = runner.run(_open_aio_channel(target, interceptors))
        clients = [_client(target, stages=stages) for _, stages in tracing.stages]
        plain = _client(target)
        try:
            traced_raw = partial(_raw_async_call, UserServiceStub(traced_channel))
            _check_stage("spans", tracing.spans, lambda: runner.run(traced_raw()))
            rows = []
            for (prefix, _), traced in zip(tracing.stages, clients, strict=True):
                ours = partial(_our_async_call, traced)
                _check_stage("spans", tracing.spans, lambda ours=ours: runner.run(ours()))
                rows += _async_rows(runner, prefix, traced_raw, ours, settings, OTEL_TARGET_RATIO)
            _check_reachable(runner.run(_our_async_call(plain)))
            off = _async_rows(
                runner,
                "otel off ",
                partial(_raw_async_call, UserServiceStub(channel)),
                partial(_our_async_call, plain),
                settings,
            )
            return rows, off
        finally:
            for client in (*clients, plain):
                runner.run(client.aclose())
            runner.run(traced_channel.close(grace=None))
            runner.run(channel.close(grace=None))


def _otel_groups(target: str, settings: Settings) -> tuple[Group, ...]:
    versions = ", ".join(
        f"{package} {importlib.metadata.version(package)}"
        for package in ("opentelemetry-sdk", "opentelemetry-instrumentation-grpc")
    )
    title = (
        "GrpcClient with OpenTelemetryClientStage vs grpcio with opentelemetry-instrumentation-"
        f"grpc's interceptor, one SDK TracerProvider: {versions}"
    )
    try:
        # Imported here, not with the rest: the stage may not exist yet, and making one changes
        # how every client in the process reads the request context, so it comes last.
        from grpc_request_client.otel import OpenTelemetryClientStage  # noqa: PLC0415
    except ImportError as error:
        skipped = f"OpenTelemetryClientStage cannot be imported: {error}"
        return (Group(title, "raw+otel", (), skipped),)
    tracing = _tracing(OpenTelemetryClientStage)
    sync_traced, sync_off = _otel_sync_rows(target, tracing, settings)
    async_traced, async_off = _otel_async_rows(target, tracing, settings)
    return (
        Group(title, "raw+otel", (*sync_traced, *async_traced)),
        Group(
            "GrpcClient vs raw grpcio, neither traced, after an OpenTelemetryClientStage was made "
            "(RequestContext now follows the active span)",
            "raw",
            (*sync_off, *async_off),
        ),
    )


def _unary_groups(target: str, settings: Settings) -> tuple[Group, ...]:
    rows = (_sync_comparison(target, settings), *_async_comparisons(target, settings))
    return (Group("GrpcClient vs raw grpcio: unary calls", "raw", rows),)


def _streams_groups(target: str, settings: Settings) -> tuple[Group, ...]:
    rows = (
        *_sync_stream_comparisons(target, settings),
        *_async_stream_comparisons(target, settings),
    )
    return (Group("GrpcClient vs raw grpcio: streams, per message", "raw", rows),)


# What each name ``--only`` takes runs: its tables, in order.
_GROUP_RUNS: dict[str, Callable[[str, Settings], tuple[Group, ...]]] = {
    "box": _box_group,
    "unary": _unary_groups,
    "streams": _streams_groups,
    "prometheus": lambda target, settings: (_prometheus_group(target, settings),),
    "otel": _otel_groups,
}


# --- the server process ---------------------------------------------------------------------


def _port_from(lifeline: Connection) -> int:
    if not lifeline.poll(SERVER_START_SECONDS):
        raise RuntimeError(f"the benchmark server did not start in {SERVER_START_SECONDS} s")
    try:
        return int(lifeline.recv())
    except EOFError as error:
        raise RuntimeError("the benchmark server exited before reporting its port") from error


@contextmanager
def _server() -> Iterator[str]:
    """Run the server in a spawned process and always stop it, Ctrl-C included.

    The pipe that brings the port back stays open while the benchmark runs: the
    server stops when it closes, which covers a parent killed too hard for
    ``finally`` to run.
    """
    spawn = multiprocessing.get_context("spawn")
    lifeline, server_end = spawn.Pipe()
    process = spawn.Process(
        target=user_server.serve, args=(server_end,), name="bench-server", daemon=True
    )
    process.start()
    try:
        server_end.close()
        yield user_server.address(_port_from(lifeline))
    finally:
        lifeline.close()
        process.terminate()
        process.join(SERVER_STOP_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()


# --- reporting ------------------------------------------------------------------------------


def _header(settings: Settings) -> None:
    print(
        "GrpcClient vs raw grpcio: client CPU per call, or per message in the streaming rows "
        "(time.process_time), microseconds"
    )
    print(
        f"Python {platform.python_version()}  grpcio {grpc.__version__}  "
        f"protobuf {protobuf_version}  CPUs {os.cpu_count()}"
    )
    print(
        f"rounds {settings.rounds} (raw and ours interleaved)  calls per round and side "
        f"{settings.calls} ({_whole_gathers(settings).calls} in flight)  "
        f"warm-up calls per side {settings.warmup}"
    )
    print(
        f"streaming rows: {settings.stream_rounds} rounds, one stream of {settings.messages} "
        f"messages ({CHUNK_SIZE}-byte chunks) per round and side, after one of "
        f"{settings.warmup} to warm up"
    )
    print(f"row groups: {', '.join(settings.groups)}")
    print()


def _table(group: Group) -> None:
    print(group.title)
    if group.skipped is not None:
        print(f"skipped: {group.skipped}")
        print()
        return
    width = max(20, *(len(result.name) for result in group.results))
    baseline = f"{group.baseline} us"
    print(
        f"{'scenario':<{width}} {baseline:>8} {'ours us':>8} {'ratio':>7} "
        f"{'paired':>7} {'round ratio IQR':>16}  target"
    )
    for result in group.results:
        first, third = result.ratio_quartiles
        print(
            f"{result.name:<{width}} {result.raw:>{len(baseline)}.1f} {result.ours:>8.1f} "
            f"{result.ratio:>7.3f} {result.paired_ratio:>7.3f} "
            f"{f'{first:.3f}-{third:.3f}':>16}  "
            f"{result.target:.2f} {'met' if result.met else 'MISSED'}"
        )
    print()


def _legend() -> None:
    print(
        "ratio: median ours / median of the baseline column (the target applies to it); "
        "paired: median of the rounds' ours/baseline"
    )
    print()


def _summary(results: list[Comparison], seconds: float) -> None:
    for result in results:
        mark = "" if result.met else "  <-- MISSED"
        print(
            f"{result.name}  base {result.raw:.1f} us  ours {result.ours:.1f} us  "
            f"ratio {result.ratio:.3f}  (target <= {result.target:.2f}){mark}"
        )
    missed = [result.name for result in results if not result.met]
    print()
    print(f"missed the target: {', '.join(missed)}" if missed else "every scenario met the target")
    print(f"measured in {seconds:.1f} s")


# --- entry point ----------------------------------------------------------------------------


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _settings(argv: list[str]) -> Settings:
    """Many short rounds rather than a few long ones: the machine's noise drifts over seconds."""
    parser = argparse.ArgumentParser(description="Client CPU per call: GrpcClient vs raw grpcio.")
    parser.add_argument("--rounds", type=_positive, default=25, help="rounds per scenario, 2+")
    parser.add_argument("--calls", type=_positive, default=300, help="calls per round and side")
    parser.add_argument("--warmup", type=_positive, default=300, help="warm-up calls per side")
    parser.add_argument(
        "--messages",
        type=_positive,
        default=10_000,
        help="messages per stream in the streaming rows (one stream per round and side)",
    )
    parser.add_argument(
        "--stream-rounds", type=_positive, default=9, help="rounds per streaming scenario, 2+"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=GROUPS,
        help="run only this group of rows; repeat for more (they run in the order "
        f"{', '.join(GROUPS)}); every group unless given",
    )
    arguments = parser.parse_args(argv)
    if min(arguments.rounds, arguments.stream_rounds) < 2:
        parser.error("--rounds and --stream-rounds must be at least 2: the quartiles need two")
    chosen = arguments.only or GROUPS
    return Settings(
        arguments.rounds,
        arguments.calls,
        arguments.warmup,
        arguments.messages,
        arguments.stream_rounds,
        tuple(group for group in GROUPS if group in chosen),
    )


def _configure_logging() -> None:
    """Production settings: info level, so the client's per-call debug event is filtered out."""
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        cache_logger_on_first_use=True,
    )


def main(argv: list[str]) -> int:
    started = time.perf_counter()
    settings = _settings(argv)
    _configure_logging()
    _header(settings)
    with _server() as target:
        groups = [
            group for name in settings.groups for group in _GROUP_RUNS[name](target, settings)
        ]
    for group in groups:
        _table(group)
    _legend()
    _summary(
        [result for group in groups for result in group.results], time.perf_counter() - started
    )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        print("interrupted; the server process has been stopped", file=sys.stderr)
        sys.exit(130)
