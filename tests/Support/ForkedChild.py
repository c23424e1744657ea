import faulthandler
import multiprocessing
import os
import pickle
import signal
import threading
import warnings
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

# Forking a process that runs threads (the in-process server's, grpc's) is what these tests
# are about; Python 3.12+ warns about exactly that (DeprecationWarning), and the suite turns
# warnings into errors.
_THREADED_FORK_WARNING = r".*use of fork\(\) may lead to deadlocks in the child"
_POLL_SECONDS = 0.02


class ForkedChild:
    """How a child made by a real fork ended, after running ``work`` there.

    ``run`` forks with ``os.fork()`` (``start="os.fork"``) or through
    ``multiprocessing.get_context("fork")`` (``start="multiprocessing"``). The
    child sends back what ``work`` returned, or the repr of what it raised,
    and leaves with ``os._exit`` so nothing of pytest runs in it. A child
    still running after ``within`` seconds is killed with SIGKILL and reported
    as hung, so a fork test can fail but never hang the suite.
    """

    def __init__(
        self, *, report: tuple[str, Any] | None, exit_code: int | None, signal_name: str | None
    ) -> None:
        self.report = report
        self.exit_code = exit_code
        self.signal_name = signal_name

    @property
    def returned(self) -> Any:
        """What ``work`` returned, once the test has checked the child ended well."""
        assert self.report is not None, self
        assert self.report[0] == "returned", self
        return self.report[1]

    def ended_well(self) -> bool:
        return self.exit_code == 0 and self.report is not None and self.report[0] == "returned"

    def __repr__(self) -> str:
        return (
            f"<ForkedChild exit_code={self.exit_code} signal={self.signal_name} "
            f"report={self.report!r}>"
        )

    @classmethod
    def run(
        cls, work: Callable[[], Any], *, within: float = 20.0, start: str = "os.fork"
    ) -> "ForkedChild":
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", _THREADED_FORK_WARNING, DeprecationWarning)
            if start == "multiprocessing":
                return cls._through_multiprocessing(work, within)
            return cls._through_os_fork(work, within)

    @classmethod
    def _through_os_fork(cls, work: Callable[[], Any], within: float) -> "ForkedChild":
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(reader)
            faulthandler.dump_traceback_later(within - 1)  # where a hung child was stuck
            cls._report_and_exit(work, writer)
        os.close(writer)
        status = cls._wait(pid, within)
        with os.fdopen(reader, "rb") as received:
            payload = received.read()
        report = pickle.loads(payload) if payload else None  # noqa: S301  # our own child
        if os.WIFSIGNALED(status):
            return cls(report=report, exit_code=None, signal_name=cls._name(os.WTERMSIG(status)))
        return cls(report=report, exit_code=os.WEXITSTATUS(status), signal_name=None)

    @staticmethod
    def _report_and_exit(work: Callable[[], Any], writer: int) -> None:
        code = 0
        try:
            report: tuple[str, Any] = ("returned", work())
        except BaseException as error:  # everything is reported to the parent
            report, code = ("raised", repr(error)), 1
        with os.fdopen(writer, "wb") as sent:
            sent.write(pickle.dumps(report))
        os._exit(code)

    @staticmethod
    def _wait(pid: int, within: float) -> int:
        deadline = threading.Event()
        for _ in range(int(within / _POLL_SECONDS)):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status
            deadline.wait(_POLL_SECONDS)
        os.kill(pid, signal.SIGKILL)
        return os.waitpid(pid, 0)[1]

    @classmethod
    def _through_multiprocessing(cls, work: Callable[[], Any], within: float) -> "ForkedChild":
        context = multiprocessing.get_context("fork")
        reader, writer = context.Pipe(duplex=False)
        process = context.Process(target=cls._send, args=(work, writer), daemon=True)
        process.start()
        writer.close()
        process.join(within)
        if process.is_alive():
            process.kill()
            process.join()
        report = reader.recv() if reader.poll() else None
        reader.close()
        code = process.exitcode
        if code is not None and code < 0:
            return cls(report=report, exit_code=None, signal_name=cls._name(-code))
        return cls(report=report, exit_code=code, signal_name=None)

    @staticmethod
    def _send(work: Callable[[], Any], writer: Connection) -> None:
        try:
            writer.send(("returned", work()))
        except BaseException as error:
            writer.send(("raised", repr(error)))
            raise

    @staticmethod
    def _name(number: int) -> str:
        return signal.Signals(number).name
