import logging
import sys

import structlog


class DemoLogging:
    """The demo's own logging setup: the library only logs, applications decide where and how.

    Debug level, so the library's ``grpc.call.succeeded`` events show next to
    its ``grpc.call.failed`` events; rendered for a person, in colour only on
    a terminal.
    """

    @staticmethod
    def configure(level: int = logging.DEBUG) -> None:
        structlog.configure(
            processors=[
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="%H:%M:%S", utc=False),
                structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty(), pad_event_to=20),
            ],
            wrapper_class=structlog.make_filtering_bound_logger(level),
            logger_factory=structlog.PrintLoggerFactory(sys.stdout),
            cache_logger_on_first_use=True,
        )
