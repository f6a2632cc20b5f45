"""A route answered twice, by its new path and by the path it replaced: the comparison tests of
the Core reads (``tests/*/test_*reads.py``) keep the old service functions as a reference and
patch them in for the second request."""

from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

# What a problem says about its own request; the rest of it must be the same.
PER_REQUEST = frozenset({"instance", "request_id"})
HEADERS = ("etag", "link", "content-type", "cache-control", "x-total-count", "content-language")


def answered_both_ways(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, module: ModuleType,
    old_functions: Mapping[str, Callable[..., Any]], url: str, *,
    headers: Mapping[str, str] | None = None, params: Mapping[str, Any] | None = None,
) -> tuple[httpx.Response, httpx.Response]:
    """``url`` answered as it is now, then with ``module``'s functions replaced by the old ones."""
    new = client.get(url, headers=dict(headers or {}), params=dict(params or {}))
    with monkeypatch.context() as patched:
        for name, function in old_functions.items():
            assert callable(getattr(module, name)), name  # a renamed function fails loudly
            patched.setattr(module, name, function)
        old = client.get(url, headers=dict(headers or {}), params=dict(params or {}))
    return new, old


def assert_same_reply(new: httpx.Response, old: httpx.Response, status: int | None = None) -> None:
    """Byte for byte the same reply (a problem: the same but for what names its request)."""
    assert new.status_code == old.status_code, (new.text, old.text)
    if status is not None:
        assert new.status_code == status, new.text
    if new.status_code >= 400:
        assert ({key: value for key, value in new.json().items() if key not in PER_REQUEST}
                == {key: value for key, value in old.json().items() if key not in PER_REQUEST})
    else:
        assert new.content == old.content
    for header in HEADERS:
        assert new.headers.get(header) == old.headers.get(header), header
