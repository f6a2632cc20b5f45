"""Settings changed for one test: environment variables, then a fresh ``get_settings()``."""

from collections.abc import Callable

import pytest

from app.core.config import get_settings


def reload_settings() -> None:
    """Make the next ``get_settings()`` read the environment again."""
    get_settings.cache_clear()


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, int], None]:
    """limits("max_body_bytes", 1000): one of the BUENDNIS_LIMIT_* numbers, for this test only."""
    settings = get_settings().limits

    def set_limit(name: str, value: int) -> None:
        monkeypatch.setattr(settings, name, value)

    return set_limit
