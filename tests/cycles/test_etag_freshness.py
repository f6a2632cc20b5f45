"""ETags of cycles and questionnaires: a 304 only while the reply would be the same.

A cycle's ``accepting_answers`` turns false when its window closes (the clock, not a write) and
its ``question_count`` moves with the questionnaire; a questionnaire's ``frozen`` moves with the
cycle's status and its scoring is shown to the Servicebüro only. If-Match on a write still
compares the version (or the questionnaire's content) only (core/etags.py)."""

from datetime import timedelta

import pytest

from app.core.db import utcnow
from app.cycles import service as cycles_service
from app.cycles.models import CycleStatus
from tests import factories
from tests.cycles.helpers import CYCLES, question
from tests.utils.etags import row_tag
from tests.utils.problems import assert_problem


@pytest.fixture
def open_cycle(session):
    cycle = factories.make_cycle(session, status=CycleStatus.survey_open)
    factories.make_questions(session, cycle)
    return cycle


def _revalidate(client, target, headers, etag):
    return client.get(target, headers={**headers, "If-None-Match": etag})


def test_the_window_closing_changes_the_cycle_etag(client, admin, open_cycle, monkeypatch):
    target = f"{CYCLES}/{open_cycle.slug}"
    before = client.get(target, headers=admin)
    assert before.json()["accepting_answers"] is True

    later = open_cycle.closes_at + timedelta(minutes=1)
    monkeypatch.setattr(cycles_service, "utcnow", lambda: later)

    after = _revalidate(client, target, admin, before.headers["ETag"])
    assert after.status_code == 200 and after.json()["accepting_answers"] is False
    assert after.json()["version"] == before.json()["version"]


def test_a_new_question_changes_the_cycle_etag_but_not_its_if_match(client, admin, session):
    draft = factories.make_cycle(session, status=CycleStatus.draft)
    target = f"{CYCLES}/{draft.slug}"
    before = client.get(target, headers=admin)
    assert before.json()["question_count"] == 0

    client.post(f"{target}/questions", headers=admin, json=question()).raise_for_status()

    after = _revalidate(client, target, admin, before.headers["ETag"])
    assert after.status_code == 200 and after.json()["question_count"] == 1
    patched = client.patch(target, headers={**admin, "If-Match": before.headers["ETag"]},
                           json={"ceremony_place": "Berlin"})
    assert patched.status_code == 200, patched.text
    stale = client.patch(target, headers={**admin, "If-Match": before.headers["ETag"]},
                         json={"ceremony_place": "Bonn"})
    assert_problem(stale, 412, "precondition_failed")
    assert stale.json()["current_etag"] == row_tag(patched.headers["ETag"])


def test_opening_the_survey_changes_the_questionnaire_etag(client, admin, session):
    draft = factories.make_cycle(session, status=CycleStatus.draft, opens_at=utcnow())
    factories.make_questions(session, draft)
    target = f"{CYCLES}/{draft.slug}/questions"
    before = client.get(target, headers=admin)
    assert before.json()["frozen"] is False

    client.post(f"{CYCLES}/{draft.slug}/open-survey", headers=admin).raise_for_status()

    after = _revalidate(client, target, admin, before.headers["ETag"])
    assert after.status_code == 200 and after.json()["frozen"] is True


def test_the_questionnaire_etag_is_the_callers(client, admin, open_cycle, alliance,
                                               alliance_user):
    """The Servicebüro sees the scoring, an alliance not: one's ETag is no 304 for the other."""
    target = f"{CYCLES}/{open_cycle.slug}/questions"
    admin_tag = client.get(target, headers=admin).headers["ETag"]

    seen = _revalidate(client, target, alliance_user(alliance), admin_tag)

    assert seen.status_code == 200 and seen.json()["scoring_visible"] is False


def test_a_questionnaire_read_then_changed_with_its_etag_succeeds(client, admin, session):
    draft = factories.make_cycle(session, status=CycleStatus.draft)
    factories.make_questions(session, draft)
    target = f"{CYCLES}/{draft.slug}/questions"
    etag = client.get(target, headers=admin).headers["ETag"]

    added = client.post(target, headers={**admin, "If-Match": etag},
                        json=question("extra_question"))

    assert added.status_code == 201, added.text
    assert_problem(client.post(target, headers={**admin, "If-Match": etag},
                               json=question("another_question")), 412, "precondition_failed")
