from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Iterable
from typing import TypeVar

import grpc

from protos import storage_pb2
from tests.Support.StorageCallRecord import StorageCallRecord

METHODS = tuple(storage_pb2.DESCRIPTOR.services_by_name["ObjectStorage"].methods_by_name)
# The methods whose fail-after counts the messages they send; the others count what they take.
_COUNTING_SENT = frozenset({"DownloadObject", "ChecksumChunks"})
SERVED_BY = (("x-served-by", "storage"),)

# A client's cancellation can reach a servicer as the end of its request stream, a moment
# before grpc marks the call cancelled (grpcio's servers, sync and aio alike); a servicer
# waits this long (seconds) for the cancellation before taking the end of a request stream
# for the client's half-close, unless the call's ``settle-ms`` says otherwise.
SETTLE_SECONDS = 0.002

T = TypeVar("T")


class BaseStorageService:
    """What ``StorageService`` (sync grpc) and ``AsyncStorageService`` (grpc.aio) share.

    Everything but the waiting, streaming and aborting: the call records a
    test reads, what each method answers, and when a call's metadata asks it
    to fail, so the two servicers cannot drift. Fault controls, read from the
    request metadata of every method alike:

    - ``fail-after: N`` aborts with ``fail-code`` (a ``grpc.StatusCode`` name,
      UNAVAILABLE unless given) and details "failed after N messages", once N
      messages were sent (DownloadObject, ChecksumChunks) or received
      (UploadObject, and StatObject's one request): 0 fails at once;
    - ``delay-ms: M`` waits M milliseconds before each message sent;
    - ``settle-ms: S``: how long UploadObject and ChecksumChunks wait, once
      their request stream ended, for a cancellation that would show it was
      not the client's half-close (``SETTLE_SECONDS`` unless given); the wait
      ends as soon as the call is cancelled.

    A value it cannot read fails the call with INVALID_ARGUMENT saying which.
    Every call sends ``x-served-by: storage`` as initial metadata and
    ``x-chunks`` (the messages it counts, as above) as trailing metadata.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._records: list[StorageCallRecord] = []

    @property
    def records(self) -> list[StorageCallRecord]:
        """Every call so far, in the order they started (ended or not)."""
        with self._changed:
            return list(self._records)

    def started(self, method: str) -> int:
        """How many calls of ``method`` arrived: the attempts of a retried call."""
        if method not in METHODS:
            raise ValueError(f"storage.ObjectStorage has no method {method!r}; it has {METHODS}")
        with self._changed:
            return sum(1 for record in self._records if record.method == method)

    def wait_for_ended(self, count: int, timeout: float) -> list[StorageCallRecord]:
        """The first ``count`` calls to end, in the order they started, once that many have.

        Raises ``AssertionError`` listing every call if fewer ended within
        ``timeout`` seconds.
        """
        if type(count) is not int or count < 1:
            raise ValueError(f"count must be an int of at least 1, got {count!r}")
        return self._wait(
            lambda ended: ended[:count] if len(ended) >= count else None,
            f"{count} calls to end",
            timeout,
        )

    def wait_for_cancelled(self, timeout: float) -> StorageCallRecord:
        """The first call to end "cancelled", once one has; AssertionError after ``timeout`` s."""
        return self._wait(
            lambda ended: next((r for r in ended if r.ended == "cancelled"), None),
            "a call to end cancelled",
            timeout,
        )

    def _wait(
        self, found: Callable[[list[StorageCallRecord]], T | None], waited_for: str, timeout: float
    ) -> T:
        if type(timeout) not in {int, float} or timeout <= 0:
            raise ValueError(f"timeout must be a number of seconds above 0, got {timeout!r}")
        with self._changed:
            result = self._changed.wait_for(
                lambda: found([r for r in self._records if r.ended is not None]), timeout
            )
            if result is None:
                raise AssertionError(
                    f"waited {timeout} s for {waited_for}; the calls: {self._records}"
                )
            return result

    def _record(
        self, method: str, metadata: Iterable[tuple[str, str | bytes]]
    ) -> StorageCallRecord:
        record = StorageCallRecord(method, {key: self._text(value) for key, value in metadata})
        with self._changed:
            self._records.append(record)
        return record

    def _finish(self, record: StorageCallRecord, how: str) -> None:
        """Record how the call ended, once: what comes first is how it ended.

        The servicer says "ok" or "aborted" before grpc ends the call, and grpc's
        end-of-call callback says "cancelled", which only a call the servicer
        never finished (the client cancelled it, its deadline passed, the server
        stopped) is still without.
        """
        with self._changed:
            if record.ended is None:
                record.ended = how
            self._changed.notify_all()

    @staticmethod
    def _fault(record: StorageCallRecord) -> tuple[grpc.StatusCode, str] | None:
        """The status to fail the call with now, if its metadata asks for one."""
        after = record.metadata.get("fail-after")
        code = record.metadata.get("fail-code", "UNAVAILABLE")
        delay = record.metadata.get("delay-ms", "0")
        settle = record.metadata.get("settle-ms", "0")
        for key, value in (
            ("fail-after", after or "0"),
            ("delay-ms", delay),
            ("settle-ms", settle),
        ):
            if not value.isdigit():
                return grpc.StatusCode.INVALID_ARGUMENT, f"{key} must be a count, got {value!r}"
        if code not in grpc.StatusCode.__members__ or code == "OK":
            return (
                grpc.StatusCode.INVALID_ARGUMENT,
                f"fail-code must name a grpc.StatusCode other than OK, got {code!r}",
            )
        if after is None or BaseStorageService._counted(record) < int(after):
            return None
        return grpc.StatusCode[code], f"failed after {after} messages"

    @staticmethod
    def _delay_seconds(record: StorageCallRecord) -> float:
        """``delay-ms`` in seconds (``_fault`` has refused a value that is not a count)."""
        return int(record.metadata.get("delay-ms", "0")) / 1000

    @staticmethod
    def _settle_seconds(record: StorageCallRecord) -> float:
        """``settle-ms`` in seconds, ``SETTLE_SECONDS`` without one (``_fault`` refused others)."""
        settle = record.metadata.get("settle-ms")
        return SETTLE_SECONDS if settle is None else int(settle) / 1000

    @staticmethod
    def _trailing(record: StorageCallRecord) -> tuple[tuple[str, str]]:
        return (("x-chunks", str(BaseStorageService._counted(record))),)

    @staticmethod
    def _counted(record: StorageCallRecord) -> int:
        return record.sent if record.method in _COUNTING_SENT else record.received

    @staticmethod
    def _chunk(
        request: storage_pb2.DownloadRequest, index: int, data: bytes
    ) -> storage_pb2.ObjectChunk:
        return storage_pb2.ObjectChunk(
            object_key=request.object_key, offset=index * request.chunk_size, data=data
        )

    @staticmethod
    def _checksum(chunk: storage_pb2.ObjectChunk) -> storage_pb2.ChunkChecksum:
        return storage_pb2.ChunkChecksum(
            offset=chunk.offset, size=len(chunk.data), crc32=f"{zlib.crc32(chunk.data):08x}"
        )

    @staticmethod
    def _stat(request: storage_pb2.DownloadRequest) -> storage_pb2.UploadResult:
        return storage_pb2.UploadResult(
            object_key=request.object_key,
            size=request.chunks * request.chunk_size,
            chunks=request.chunks,
        )

    @staticmethod
    def _uploaded(
        record: StorageCallRecord, key: str, size: int, crc: int
    ) -> storage_pb2.UploadResult:
        return storage_pb2.UploadResult(
            object_key=key, size=size, chunks=record.received, etag=f"{crc:08x}"
        )

    @staticmethod
    def _text(value: str | bytes) -> str:
        return value if isinstance(value, str) else value.decode("utf-8", "backslashreplace")
