"""The certificate PDF and the public verification of its code."""

import io
from datetime import date

import pytest
from pypdf import PdfReader

from app.awards.certificate import german_date
from app.core.db import utcnow
from app.cycles.models import CycleStatus
from tests import factories
from tests.utils.problems import assert_problem


@pytest.fixture
def award(session, alliance):
    cycle = factories.make_cycle(session, status=CycleStatus.awarded,
                                 seal_title="Ausgezeichnetes Bündnis 2024/25",
                                 ceremony_on=date(2024, 11, 22), ceremony_place="Berlin")
    return factories.make_award(session, cycle, alliance)


def _text(pdf: bytes) -> tuple[str, PdfReader]:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages), reader


def test_the_alliance_downloads_a_real_certificate(client, alliance, alliance_user, award):
    r = client.get(f"/api/v1/awards/{award.id}/certificate.pdf", headers=alliance_user(alliance))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"].startswith('attachment; filename="urkunde-')
    assert r.content.startswith(b"%PDF")
    text, reader = _text(r.content)
    assert len(reader.pages) == 1
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width), round(height)) == (842, 595)  # A4 landscape
    for expected in ("Urkunde", alliance.name, "„Ausgezeichnetes Bündnis 2024/25“",
                     "Berlin, den 22. November 2024", "Bundesinitiative Lokale Bündnisse für Familie",
                     f"/api/v1/public/seals/verify/{award.verification_code}"):
        assert expected in " ".join(text.split()), expected
    assert reader.metadata.title == f"Urkunde – Ausgezeichnetes Bündnis 2024/25 – {alliance.name}"


def test_long_names_are_wrapped_not_cut(client, admin, session):
    long_name = "Lokales Bündnis für Familie, Erziehung, Bildung und Pflege im Landkreis Vorpommern-Greifswald"
    alliance = factories.make_alliance(session, name=long_name)
    cycle = factories.make_cycle(session, status=CycleStatus.awarded, ceremony_on=date(2023, 11, 24))
    award = factories.make_award(session, cycle, alliance)
    text, _ = _text(client.get(f"/api/v1/awards/{award.id}/certificate.pdf", headers=admin).content)
    assert " ".join(text.split()).count("Landkreis Vorpommern-Greifswald") == 1
    assert "24. November 2023" in text


def test_certificate_callers(client, admin, alliance_user, other_alliance, partner, award):
    url = f"/api/v1/awards/{award.id}/certificate.pdf"
    assert client.get(url, headers=admin).status_code == 200
    assert_problem(client.get(url, headers=alliance_user(other_alliance)), 404, "award_not_found")
    assert_problem(client.get(url), 401)
    assert_problem(client.get(url, headers=partner), 403)
    assert_problem(client.get("/api/v1/awards/987654/certificate.pdf", headers=admin), 404)
    problem = assert_problem(client.get("/api/v1/awards/abc/certificate.pdf", headers=admin), 422)
    assert problem["errors"][0]["loc"] == ["path", "award_id"]


def test_a_withdrawn_award_has_no_certificate(client, admin, alliance, alliance_user, award):
    client.post(f"/api/v1/awards/{award.id}/withdraw", headers=admin, json={"reason": "Zurückgezogen"})
    assert_problem(client.get(f"/api/v1/awards/{award.id}/certificate.pdf", headers=alliance_user(alliance)),
                   410, "award_withdrawn")


@pytest.mark.parametrize(("day", "text"), [
    (date(2024, 11, 22), "22. November 2024"),
    (date(2023, 3, 1), "1. März 2023"),
    (date(2025, 12, 31), "31. Dezember 2025"),
])
def test_german_dates(day, text):
    assert german_date(day) == text


# --- verification -------------------------------------------------------------------------------

def test_anyone_verifies_a_code(client, alliance, award):
    r = client.get(f"/api/v1/public/seals/verify/{award.verification_code}")
    assert r.status_code == 200, r.text
    assert r.json() == {
        "code": award.verification_code, "valid": True, "status": "confirmed",
        "alliance_name": alliance.name, "title": "Ausgezeichnetes Bündnis 2024/25",
        "cycle_key": r.json()["cycle_key"], "awarded_on": "2024-11-22", "withdrawn_on": None,
    }
    typed = award.verification_code.replace("-", "").lower()
    assert client.get(f"/api/v1/public/seals/verify/{typed}").json()["code"] == award.verification_code


def test_a_withdrawn_seal_shows_as_withdrawn(client, admin, award):
    client.post(f"/api/v1/awards/{award.id}/withdraw", headers=admin, json={"reason": "Zurückgezogen"})
    body = client.get(f"/api/v1/public/seals/verify/{award.verification_code}").json()
    assert (body["valid"], body["status"]) == (False, "withdrawn")
    assert body["withdrawn_on"] == utcnow().date().isoformat()


def test_unknown_codes(client, award):
    assert_problem(client.get("/api/v1/public/seals/verify/AAAA-BBBB-CCCC-DDDD"), 404, "seal_not_found")
    problem = assert_problem(client.get("/api/v1/public/seals/verify/" + "X" * 41), 422)
    assert problem["errors"][0]["loc"] == ["path", "code"]
