"""Timestamps from clients. Stored and compared in UTC, so a value must survive the conversion:
``9999-12-31T23:59:59-14:00`` is a valid ISO timestamp whose UTC form lies past year 9999 and
would fail deep inside the database driver or a date format. Plausible years only."""

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator

EARLIEST_YEAR, LATEST_YEAR = 1900, 2200


def in_utc_range(value: datetime) -> datetime:
    """``value`` when its UTC form lies within the plausible years; ValueError otherwise."""
    try:
        year = value.astimezone(UTC).year
    except OverflowError:
        year = 0
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise ValueError(f"must lie between the years {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


_NUMBER = re.compile(r"\s*[+-]?\d+(\.\d*)?\s*")


def iso_only(value: Any) -> Any:
    """Refuse what pydantic would read as Unix time (``0``, ``"1717236000"``): a client that
    sends a number for an instant has made a mistake, not chosen 1970."""
    if isinstance(value, bool | int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("must be an ISO 8601 timestamp with an offset, not a number")
    return value


Timestamp = Annotated[AwareDatetime, BeforeValidator(iso_only), AfterValidator(in_utc_range)]
