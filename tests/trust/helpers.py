"""Helpers of the trust tests (fixtures stay in conftest.py)."""

from dataclasses import dataclass

UNTHROTTLED = 10**9


@dataclass(frozen=True)
class World:
    """Seeded rows and the callers that act on them."""

    headers: dict[str, dict[str, str]]
    params: dict[str, str | int]
