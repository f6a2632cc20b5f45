"""The batch writes new responses in bulk (Core executemany): the audit trail, the answer
history, the finder consent and the number of statements are those of the row-by-row path."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session, col, select

from app.alliances.models import Alliance
from app.audit.models import AuditEvent
from app.questionnaire.rules import ScoringPlan, check_answers, score
from app.surveys.models import ResponseRevision, SurveyResponse
from tests import factories
from tests.surveys.helpers import batch_url, item, response_url, responses_url, stored


def _creates(session: Session, response_id: int | None, request_id: str) -> list[AuditEvent]:
    """This request's events of the response (tests that commit leave older events of
    rolled-back ids behind: the trail is append-only)."""
    return list(session.exec(
        select(AuditEvent).where(AuditEvent.resource_type == "survey_response",
                                 AuditEvent.resource_id == str(response_id),
                                 AuditEvent.request_id == request_id)
        .order_by(col(AuditEvent.id))
    ).all())


def test_every_created_response_is_audited_once_with_its_stored_state(
        client, session, cycle, alliance, other_alliance, partner, partner_client):
    r = client.post(batch_url(cycle), headers={**partner, "X-Request-ID": "bulk-audit-1"},
                    json={"items": [item(alliance.id, submit=True), item(other_alliance.id)]})
    assert r.status_code == 200, r.text
    submitted, draft = stored(session, cycle, alliance), stored(session, cycle, other_alliance)
    assert submitted is not None and draft is not None
    for response, status in ((submitted, "submitted"), (draft, "draft")):
        events = _creates(session, response.id, "bulk-audit-1")
        assert [e.action for e in events] == ["survey_response.create"]
        event_ = events[0]
        assert event_.actor == f"client:{partner_client.id}" and event_.actor_type == "client"
        assert event_.request_id == "bulk-audit-1"
        assert set(event_.changed_fields) == set(SurveyResponse.__table__.columns.keys())
        changes = event_.changes
        assert changes["id"] == response.id and changes["alliance_id"] == response.alliance_id
        assert changes["status"] == status and changes["mode"] == "partner_import"
        assert changes["answers"] == "***", "answers may hold personal data"
        assert changes["entered_by"] == f"client:{partner_client.id}"
    assert _creates(session, submitted.id, "bulk-audit-1")[0].changes["activity_score"] == 19.0
    assert _creates(session, draft.id, "bulk-audit-1")[0].changes["activity_score"] is None
    revisions = session.exec(select(ResponseRevision.action).where(
        ResponseRevision.response_id == submitted.id).order_by(col(ResponseRevision.revision))).all()
    assert list(revisions) == ["import", "submit"]
    assert not session.exec(select(AuditEvent).where(
        AuditEvent.resource_type == "response_revision")).first(), "revisions are not audited"


def test_bulk_create_event_names_the_fields_the_orm_path_names(client, session, cycle, alliance,
                                                                other_alliance, partner,
                                                                alliance_user):
    """A response saved with PUT goes through the unit of work and the after_flush hook; one
    pushed in a batch goes through the bulk helper. Both events name the same columns."""
    saved = client.put(response_url(cycle, alliance),
                       headers={**alliance_user(alliance), "X-Request-ID": "orm-path"},
                       json={"answers": {"partner_meetings": 3}})
    assert saved.status_code in (200, 201), saved.text
    pushed = client.post(batch_url(cycle), headers={**partner, "X-Request-ID": "bulk-path"},
                         json={"items": [item(other_alliance.id)]})
    assert pushed.status_code == 200, pushed.text
    via_orm = _creates(session, saved.json()["id"], "orm-path")
    via_bulk = _creates(session, pushed.json()["items"][0]["response_id"], "bulk-path")
    assert [e.action for e in via_orm] == [e.action for e in via_bulk] == ["survey_response.create"]
    assert via_orm[0].changed_fields == via_bulk[0].changed_fields
    masked = {k for k, v in via_orm[0].changes.items() if v == "***"}
    assert masked == {k for k, v in via_bulk[0].changes.items() if v == "***"}


def test_submitting_in_a_batch_applies_the_finder_consent(client, session, cycle, alliance,
                                                          other_alliance, partner):
    assert alliance.listed_in_finder and other_alliance.listed_in_finder
    version = alliance.version
    r = client.post(batch_url(cycle), headers={**partner, "X-Request-ID": "consent"}, json={"items": [
        item(alliance.id, submit=True, wants_finder_listing=False),
        item(other_alliance.id, wants_finder_listing=False),  # a draft: consent not yet given
    ]})
    assert r.status_code == 200, r.text
    session.expire_all()
    assert session.get(Alliance, alliance.id).listed_in_finder is False
    assert session.get(Alliance, alliance.id).version == version + 1
    assert session.get(Alliance, other_alliance.id).listed_in_finder is True
    updates = session.exec(select(AuditEvent).where(
        AuditEvent.action == "alliance.update", AuditEvent.resource_id == str(alliance.id),
        AuditEvent.request_id == "consent")).all()
    assert any("listed_in_finder" in e.changed_fields for e in updates)


def test_statements_per_batch_do_not_grow_with_its_items(client, session, cycle_in, partner,
                                                          statements):
    alliances = [factories.make_alliance(session) for _ in range(24)]
    counts = []
    for size in (2, 12):
        target = cycle_in()
        chosen = alliances[:size] if size == 2 else alliances[2:2 + size]
        statements.clear()
        r = client.post(batch_url(target), headers=partner, json={"items": [
            item(a.id, submit=n % 2 == 0) for n, a in enumerate(chosen)]})
        assert r.status_code == 200 and r.json()["created"] == size, r.text
        counts.append(len(statements))
    assert counts[0] == counts[1], f"{counts}: a statement per item crept back in"


def test_pages_by_update_time_walk_bulk_written_responses_once(client, session, cycle, partner,
                                                               admin):
    """A batch writes its rows with one timestamp; paging by it must still end, each row once.
    The keyset compares the stored value with the cursor's: both must be written alike
    (SQLite keeps timestamps as text, where an offset the ORM does not write sorts apart)."""
    chosen = [factories.make_alliance(session) for _ in range(3)]
    r = client.post(batch_url(cycle), headers=partner, json={"items": [
        item(a.id, submit=n == 0) for n, a in enumerate(chosen)]})
    assert r.status_code == 200 and r.json()["created"] == 3, r.text
    factories.make_response(session, cycle, factories.make_alliance(session))  # via the ORM
    for sort in ("updated_at", "-updated_at"):
        seen: list[int] = []
        cursor: str | None = None
        for _ in range(6):
            params: dict[str, Any] = {"limit": 1, "sort": sort, **({"cursor": cursor} if cursor else {})}
            page = client.get(responses_url(cycle), headers=admin, params=params)
            assert page.status_code == 200, page.text
            seen += [row["id"] for row in page.json()["items"]]
            cursor = page.json()["next_cursor"]
            if not cursor:
                break
        assert len(seen) == 4 and len(set(seen)) == 4, f"{sort}: {seen}"


# --- the compiled scoring gives what score() gives ------------------------------------------

class _Question:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.key, self.type = spec["key"], spec["type"]
        self.required = spec.get("required", False)
        self.options = spec.get("options", [])
        self.scoring, self.weight = spec["scoring"], spec["weight"]
        self.criterion_group = spec.get("criterion_group")


QUESTIONS = [_Question(spec) for spec in factories.STANDARD_QUESTIONS] + [
    _Question({"key": "uncapped", "type": "integer", "scoring": {"kind": "per_unit",
               "points_per_unit": 0.335}, "weight": 1.5, "criterion_group": "networking"}),
    _Question({"key": "odd_weight", "type": "boolean", "scoring": {"kind": "if_yes", "points": 2.675},
               "weight": 1.0}),
]
ANY_VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 2_000_000), st.floats(allow_nan=True),
    st.sampled_from(["monthly", "rarely", "quarterly", "nope", "", "2024-05-04", "2024-13-01"]),
    st.lists(st.sampled_from(["childcare", "care_work", "low_income", "x"]), max_size=5),
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([q.key for q in QUESTIONS] + ["unknown"]), ANY_VALUE))
def test_scoring_plan_and_checks_match_the_plain_functions(answers):
    plan = ScoringPlan(QUESTIONS)
    assert plan.score(answers) == score(QUESTIONS, answers)
    for complete in (False, True):
        assert check_answers(plan, answers, complete=complete) == \
            check_answers(QUESTIONS, answers, complete=complete)
