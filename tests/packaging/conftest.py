from pathlib import Path

import pytest

# shop_service/ is not tests: it is a service's source tree that the packaging test copies.
collect_ignore = ["shop_service"]

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move this folder's tests to the front of the run, in their own order.

    Installing the wheel into a fresh environment takes 6-20 s, the longest test of the
    suite. xdist hands out tests in collection order, where this folder comes near the
    end: the test would start late and finish alone. First, it runs beside the rest.
    """
    items.sort(key=lambda item: not item.path.is_relative_to(HERE))
