"""Helpers of the inquiries tests (fixtures stay in conftest.py)."""

from typing import Any

URL = "/api/v1/inquiries"


def url(inquiry_id: int | None = None, suffix: str = "") -> str:
    return URL if inquiry_id is None else f"{URL}/{inquiry_id}{suffix}"


def filing(**overrides: Any) -> dict[str, Any]:
    """A valid anonymous filing."""
    body: dict[str, Any] = {
        "category": "missing_notice",
        "subject": "Keine Einladung zur Umfrage",
        "message": "Unser Bündnis hat keine Einladung zur Bündnisumfrage bekommen.",
        "requester_name": "Erika Muster",
        "requester_email": "Erika.Muster@Example.ORG",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def member_filing(**overrides: Any) -> dict[str, Any]:
    """A valid filing by an alliance user (no requester name or e-mail)."""
    return filing(**{"requester_name": None, "requester_email": None, **overrides})
