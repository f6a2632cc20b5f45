"""The German notice text."""

from datetime import UTC, datetime

import pytest

from app.notices import texts

OPENS = datetime(2024, 9, 30, 22, 0, tzinfo=UTC)  # 1 October, midnight in Berlin
CLOSES = datetime(2024, 11, 30, 22, 59, tzinfo=UTC)  # 30 November, 23:59 in Berlin


def test_subject_names_cycle_and_seal():
    assert texts.notice_subject("2024/25", "Ausgezeichnetes Bündnis 2024/25") == (
        "Bündnisumfrage 2024/25: Ihre Chance auf das Siegel „Ausgezeichnetes Bündnis 2024/25“"
    )


def test_body_names_alliance_window_link_and_seal():
    body = texts.notice_body(
        alliance_name="Bündnis für Familie Fürth", cycle_key="2024/25",
        seal_title="Ausgezeichnetes Bündnis 2024/25", opens_at=OPENS, closes_at=CLOSES,
        link="https://portal.example.org/umfrage/2024-25",
    )
    assert body.startswith("Guten Tag,")
    assert "„Bündnis für Familie Fürth“" in body
    assert "Bündnisumfrage 2024/25" in body
    assert "Siegel „Ausgezeichnetes Bündnis 2024/25“" in body
    assert "vom 01.10.2024 bis zum 30.11.2024, 23:59 Uhr" in body
    assert "Zur Umfrage: https://portal.example.org/umfrage/2024-25" in body
    assert "Projekt Zukunft" in body
    assert body.rstrip().endswith("Ihr Servicebüro Lokale Bündnisse für Familie")


@pytest.mark.parametrize(
    ("opens_at", "closes_at", "sentence"),
    [
        (OPENS, CLOSES, "Die Umfrage ist vom 01.10.2024 bis zum 30.11.2024, 23:59 Uhr "
                        "(deutscher Zeit) geöffnet."),
        (None, CLOSES, "Die Umfrage ist bis zum 30.11.2024, 23:59 Uhr (deutscher Zeit) geöffnet."),
        (OPENS, None, "Die Umfrage ist ab dem 01.10.2024 geöffnet."),
        (None, None, "Den Zeitraum der Umfrage geben wir in Kürze bekannt."),
        # Summer time: 22:00 UTC on 30 June is midnight on 1 July in Berlin.
        (datetime(2024, 6, 30, 22, 0, tzinfo=UTC), None, "Die Umfrage ist ab dem 01.07.2024 geöffnet."),
    ],
)
def test_window_in_german_time(opens_at, closes_at, sentence):
    assert texts.window_sentence(opens_at, closes_at) == sentence
