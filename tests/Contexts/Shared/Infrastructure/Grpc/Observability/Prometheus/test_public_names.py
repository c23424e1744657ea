"""The Prometheus package's public names: what ``__all__`` lists, each in its own module."""

import importlib

import pytest

PACKAGE = "app.Contexts.Shared.Infrastructure.Grpc.Observability.Prometheus"
CLASSES = [
    "AsyncPrometheusServerInterceptor",
    "PrometheusClientMetrics",
    "PrometheusServerInterceptor",
]


def test_the_package_exports_exactly_its_public_names() -> None:
    package = importlib.import_module(PACKAGE)

    assert sorted(package.__all__) == sorted([*CLASSES, "GO_DEFAULT_BUCKETS"])
    assert package.GO_DEFAULT_BUCKETS == (
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    )  # fmt: skip


@pytest.mark.parametrize("name", CLASSES)
def test_each_class_lives_in_the_module_named_after_it(name: str) -> None:
    cls = getattr(importlib.import_module(f"{PACKAGE}.{name}"), name)

    assert cls.__name__ == name
    assert cls.__module__ == f"{PACKAGE}.{name}"
