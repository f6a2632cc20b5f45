from collections.abc import Iterator

import pytest

from app.core.config import get_settings
from tests.webhooks.receiver import Receiver, running_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as server:
        yield server


@pytest.fixture
def private_addresses_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Endpoints on 127.0.0.1 (the test receiver) may be saved and delivered to."""
    monkeypatch.setattr(get_settings(), "webhook_allow_private_addresses", True)
