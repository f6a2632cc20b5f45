"""POST /cycles/{cycle}/awards:import: a past cycle's seal alliances from CSV or XLSX."""

from datetime import date

import pytest
from sqlmodel import select

from app.awards.models import Award
from app.cycles.models import CycleStatus
from tests import factories
from tests.awards.helpers import cycle_url
from tests.utils.problems import assert_problem
from tests.utils.xlsx import xlsx


@pytest.fixture
def past(session):
    return factories.make_cycle(session, status=CycleStatus.archived, seal_title="Ausgezeichnetes Bündnis 2023/24",
                                ceremony_on=date(2023, 11, 24))


@pytest.fixture
def seal_alliances(session):
    return [
        factories.make_alliance(session, name="Bündnis Salzgitter", ags="03102000", state="DE-NI"),
        factories.make_alliance(session, name="Bündnis Freiburg", ags="08311000", state="DE-BW"),
    ]


def _upload(client, admin, cycle, content: bytes, filename="siegel-2023.csv", **params):
    return client.post(cycle_url(cycle, "awards:import"), headers=admin, params=params,
                       files={"file": (filename, content, "text/csv")})


def _awards(session, cycle) -> list[tuple[int, date]]:
    session.expire_all()
    rows = session.exec(select(Award).where(Award.cycle_id == cycle.id).order_by(Award.alliance_id)).all()
    return [(a.alliance_id, a.awarded_on) for a in rows]


def test_import_by_slug_or_ags_and_again_idempotently(client, admin, session, past, seal_alliances):
    salzgitter, freiburg = seal_alliances
    csv = f"slug;ags;awarded_on\n{salzgitter.slug};;24.11.2023\n;08311000;2023-11-24\n".encode()
    r = _upload(client, admin, past, csv)
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["created"], report["unchanged"], report["dry_run"]) == (2, 0, False)
    assert [(row["line"], row["alliance_slug"], row["action"]) for row in report["rows"]] == [
        (2, salzgitter.slug, "create"), (3, freiburg.slug, "create")]
    assert all(row["award_id"] for row in report["rows"])
    assert _awards(session, past) == [(salzgitter.id, date(2023, 11, 24)), (freiburg.id, date(2023, 11, 24))]
    award = session.get(Award, report["rows"][0]["award_id"])
    assert award.title == "Ausgezeichnetes Bündnis 2023/24" and award.status == "confirmed"

    again = _upload(client, admin, past, csv).json()
    assert (again["created"], again["unchanged"]) == (0, 2)
    assert len(_awards(session, past)) == 2


def test_xlsx_with_real_dates(client, admin, session, past, seal_alliances):
    workbook = xlsx([["Alliance", "awarded_on"], [seal_alliances[1].slug, date(2023, 11, 24)]])
    r = client.post(cycle_url(past, "awards:import"), headers=admin, files={"file": (
        "siegel.xlsx", workbook,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
    assert r.status_code == 200, r.text
    assert _awards(session, past) == [(seal_alliances[1].id, date(2023, 11, 24))]


def test_dry_run_writes_nothing(client, admin, session, past, seal_alliances):
    r = _upload(client, admin, past, f"slug,awarded_on\n{seal_alliances[0].slug},2023-11-24\n".encode(),
                dry_run=True)
    assert r.json()["created"] == 1 and r.json()["rows"][0]["award_id"] is None
    assert _awards(session, past) == []


def test_every_bad_row_is_reported_and_nothing_is_written(client, admin, session, past, seal_alliances):
    twin_a = factories.make_alliance(session, name="Bezirk A", ags="11000000", state="DE-BE")
    factories.make_alliance(session, name="Bezirk B", ags="11000000", state="DE-BE")
    salzgitter = seal_alliances[0]
    csv = (
        "slug;ags;awarded_on\n"
        f"{salzgitter.slug};;2023-11-24\n"      # 2: fine
        "gibt-es-nicht;;2023-11-24\n"           # 3: unknown slug
        ";11000000;2023-11-24\n"                # 4: AGS shared by two alliances
        f"{seal_alliances[1].slug};;im November\n"  # 5: no date
        f"{salzgitter.slug};;2023-11-24\n"      # 6: same alliance again
        ";;2023-11-24\n"                        # 7: neither slug nor AGS
    ).encode()
    problem = assert_problem(_upload(client, admin, past, csv), 422, "rule_violation")
    assert [(e["loc"], e["type"]) for e in problem["errors"]] == [
        (["file", 3, "slug"], "not_found"),
        (["file", 4, "ags"], "ambiguous"),
        (["file", 5, "awarded_on"], "date_parsing"),
        (["file", 6, "slug"], "duplicate"),
        (["file", 7, "slug"], "missing"),
    ]
    assert _awards(session, past) == []
    assert twin_a.slug not in problem["detail"]


def test_existing_awards_that_disagree_are_errors(client, admin, session, past, seal_alliances):
    salzgitter, freiburg = seal_alliances
    factories.make_award(session, past, salzgitter, awarded_on=date(2023, 11, 24))
    factories.make_award(session, past, freiburg, status="withdrawn")
    csv = f"slug,awarded_on\n{salzgitter.slug},2023-12-01\n{freiburg.slug},2023-11-24\n".encode()
    problem = assert_problem(_upload(client, admin, past, csv), 422)
    assert [(e["loc"], e["type"]) for e in problem["errors"]] == [
        (["file", 2, "awarded_on"], "conflict"), (["file", 3, "slug"], "withdrawn")]


@pytest.mark.parametrize(("content", "loc"), [
    (b"", ["file"]),
    (b"slug,awarded_on\n", ["file"]),
    (b"slug,year\nx,2023\n", ["file", "header", "awarded_on"]),
    (b"name,awarded_on\nx,2023-11-24\n", ["file", "header", "slug"]),
])
def test_unusable_files(client, admin, past, content, loc):
    problem = assert_problem(_upload(client, admin, past, content), 422)
    assert loc in [e["loc"] for e in problem["errors"]]


def test_a_broken_xlsx_is_unsupported(client, admin, past):
    r = client.post(cycle_url(past, "awards:import"), headers=admin,
                    files={"file": ("siegel.xlsx", b"PK\x03\x04 not really a workbook", "application/octet-stream")})
    assert_problem(r, 415, "unsupported_file")


def test_import_needs_a_finished_cycle(client, admin, session, seal_alliances):
    running = factories.make_cycle(session, status=CycleStatus.survey_open)
    csv = f"slug,awarded_on\n{seal_alliances[0].slug},2023-11-24\n".encode()
    problem = assert_problem(_upload(client, admin, running, csv), 409, "awards_not_allowed")
    assert problem["allowed_statuses"] == ["evaluated", "awarded", "archived"]


def test_import_wrong_callers(client, alliance, alliance_user, partner, past, seal_alliances):
    csv = f"slug,awarded_on\n{seal_alliances[0].slug},2023-11-24\n".encode()
    assert_problem(_upload(client, {}, past, csv), 401)
    assert_problem(_upload(client, alliance_user(alliance), past, csv), 403)
    assert_problem(_upload(client, partner, past, csv), 403)
