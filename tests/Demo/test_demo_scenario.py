"""``make demo`` as a test: every step behaves as the demo says, so the tour cannot rot."""

import pytest

from app.Demo.DemoScenario import DemoScenario

STREAMING_STEPS = [
    "8. Server streaming: listing users",
    "9. Client streaming: a chunked upload",
    "10. A stream that fails midway",
    "11. Bidirectional streaming: a checksum per chunk",
    "12. Health watch: a status change arrives",
]


@pytest.fixture(scope="module")
def demo() -> tuple[int, list[str]]:
    """The demo's exit code and the lines it wrote, from one run."""
    lines: list[str] = []
    return DemoScenario(lines.append).run(), lines


def test_every_step_of_the_demo_behaves_as_expected(demo: tuple[int, list[str]]) -> None:
    exit_code, lines = demo

    assert exit_code == 0, "\n".join(lines)
    assert lines[-1] == (
        "All 14 steps behaved as expected; client closed, server and /metrics stopped."
    )
    assert [line for line in lines if line in STREAMING_STEPS] == STREAMING_STEPS


def test_the_streaming_steps_say_what_was_sent_and_what_came_back(
    demo: tuple[int, list[str]],
) -> None:
    said = "\n".join(demo[1])

    assert "   <- User 123: John Doe\n" in said
    assert "one UploadResult back: 10240 bytes in 3 chunks" in said
    assert "   <- ObjectChunk at offset 8192: 2048 bytes\n" in said
    assert "then the loop raised RemoteRequestInvalid: OUT_OF_RANGE" in said
    assert "done_writing(), then the loop read 0 more: OK, 3 sent and 3 received" in said
    assert "   <- SERVING\n" in said
    assert "   <- NOT_SERVING\n" in said
    assert "watch.close(): CANCELLED, closed by the caller: True" in said


def test_the_last_step_scrapes_both_sides_metrics_and_the_gauges_over_http(
    demo: tuple[int, list[str]],
) -> None:
    said = "\n".join(demo[1])

    assert "14. Prometheus metrics, scraped from /metrics" in said
    assert "urllib.request.urlopen('http://127.0.0.1:" in said
    assert (
        '   grpc_server_handled_total{grpc_code="NotFound",grpc_method="GetUser",'
        'grpc_service="user.UserService",grpc_type="unary"} 1.0\n'
    ) in said
    assert ',state="open"} 0.0\n' in said
    assert "   grpc_client_bulkhead_in_flight{grpc_target=" in said
