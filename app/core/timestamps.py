"""Timestamps from clients. Stored and compared in UTC, so a value must survive the conversion:
``9999-12-31T23:59:59-14:00`` is a valid ISO timestamp whose UTC form lies past year 9999 and
would fail deep inside the database driver or a date format. Plausible years only."""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

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


Timestamp = Annotated[AwareDatetime, AfterValidator(in_utc_range)]
