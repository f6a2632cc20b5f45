"""Dates and times as people in Germany read them (mails, PDFs, exports): Europe/Berlin, with
the day first. One place, so every text shows the same clock."""

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

try:
    GERMAN_TIME = ZoneInfo("Europe/Berlin")
    BERLIN_KNOWN = True
except ZoneInfoNotFoundError:  # an image without tzdata: UTC, and the texts say so
    GERMAN_TIME = ZoneInfo("UTC")
    BERLIN_KNOWN = False


def german_date(moment: datetime) -> str:
    return moment.astimezone(GERMAN_TIME).strftime("%d.%m.%Y")


def german_datetime(moment: datetime) -> str:
    return moment.astimezone(GERMAN_TIME).strftime("%d.%m.%Y, %H:%M Uhr")
