"""The PromQL of docs/observability.md selects a bucket bound as this library writes it, and Go."""

import ast
import re
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from grpc_request_client import GrpcClient
from grpc_request_client.prometheus import PrometheusClientMetrics
from grpc_request_client.testing import GrpcTestServer
from tests.conftest import Invoke
from tests.Support.DownloadRequest import DownloadRequest
from tests.Support.StorageService import StorageService

PAGE = Path(__file__).resolve().parents[2] / "docs" / "observability.md"
_PROMQL = re.compile(r"^```promql\n(.*?)^```", re.MULTILINE | re.DOTALL)
# A matcher on le, its operator and its PromQL string (double quotes, Go's escapes).
_LE = re.compile(r'\ble\s*(=~|=|!=|!~)\s*"((?:[^"\\]|\\.)*)"')


def _le_matchers() -> list[tuple[str, str]]:
    queries = "\n".join(_PROMQL.findall(PAGE.read_text()))
    return [(operator, ast.literal_eval(f'"{text}"')) for operator, text in _LE.findall(queries)]


async def _exposition(invoke: Invoke) -> str:
    """What a scrape of a client that made one call reads: prometheus-client's text format."""
    registry = CollectorRegistry()
    with (
        GrpcTestServer.start(StorageService()) as server,
        GrpcClient(server.target, stages=[PrometheusClientMetrics(registry)]) as client,
    ):
        await invoke(client, DownloadRequest(method="StatObject"))
    return generate_latest(registry).decode()


def _bounds(text: str) -> set[str]:
    return {
        sample.labels["le"]
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "grpc_client_handling_seconds_bucket"
    }


async def test_the_docs_select_a_whole_second_by_both_spellings(invoke: Invoke) -> None:
    text = await _exposition(invoke)
    bounds = _bounds(text)
    matchers = _le_matchers()

    # prometheus-client writes Python floats; Go's text format the shortest form.
    assert 'le="1.0"' in text
    assert 'le="1"' not in text
    assert matchers
    assert all(operator == "=~" for operator, _ in matchers), matchers
    for _, regex in matchers:
        # Prometheus anchors a label regex at both ends (RE2; these use no RE2-only syntax).
        selected = {bound for bound in bounds if re.fullmatch(regex, bound)}
        assert len(selected) == 1, (regex, selected)
        (ours,) = selected
        assert ours.endswith(".0")
        assert re.fullmatch(regex, ours.removesuffix(".0")), regex  # Go's spelling
