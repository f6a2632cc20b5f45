"""The FAQ through the API: the public reads published entries only, in category order; the
Servicebüro writes them (search: test_search.py)."""

import pytest
from sqlmodel import select

from app.audit.models import AuditEvent
from app.faq.models import FaqEntry
from tests import factories
from tests.faq.support import ADMIN, PUBLIC, create, entry, questions
from tests.utils.problems import assert_problem

# --- public -------------------------------------------------------------------------------------

def test_the_public_sees_published_entries_in_category_then_position_order(client, admin):
    create(client, admin, category="general", position=0, question="Allgemeine Frage eins")
    create(client, admin, category="survey", position=20, question="Umfrage zweite Frage")
    create(client, admin, category="survey", position=5, question="Umfrage erste Frage")
    create(client, admin, category="future_project", position=99, question="Projekt Zukunft Frage")
    draft = create(client, admin, publish=False, question="Noch ein Entwurf hier")

    listed = client.get(PUBLIC)
    assert questions(listed) == ["Projekt Zukunft Frage", "Umfrage erste Frage",
                                 "Umfrage zweite Frage", "Allgemeine Frage eins"]
    first = listed.json()["items"][0]
    assert first["category_title"] == "Projekt Zukunft"
    assert "is_published" not in first and "version" not in first
    assert_problem(client.get(f"{PUBLIC}/{draft['id']}"), 404, "faq_entry_not_found")
    one = client.get(f"{PUBLIC}/{first['id']}")
    assert one.status_code == 200 and one.json()["question"] == "Projekt Zukunft Frage"

    assert questions(client.get(PUBLIC, params={"category": "survey"})) == [
        "Umfrage erste Frage", "Umfrage zweite Frage"]

    # Pages follow the same order.
    page = client.get(PUBLIC, params={"limit": 3})
    assert questions(page)[-1] == "Umfrage zweite Frage"
    rest = client.get(PUBLIC, params={"limit": 3, "cursor": page.json()["next_cursor"]})
    assert questions(rest) == ["Allgemeine Frage eins"] and rest.json()["next_cursor"] is None


@pytest.mark.parametrize("params", [{"category": "nope"}, {"q": ""}, {"q": "x" * 101},
                                    {"limit": 0}, {"cursor": "kaputt"}, {"query": "Siegel"}])
def test_bad_public_queries_are_invalid_input(client, admin, params):
    create(client, admin)
    assert_problem(client.get(PUBLIC, params=params), 422)


# --- the Servicebüro ----------------------------------------------------------------------------

def test_admin_list_includes_drafts_and_filters_by_state(client, admin):
    create(client, admin, question="Veröffentlichte Frage")
    create(client, admin, publish=False, question="Entwurf einer Frage")
    assert set(questions(client.get(ADMIN, headers=admin))) == {
        "Veröffentlichte Frage", "Entwurf einer Frage"}
    assert questions(client.get(ADMIN, headers=admin, params={"is_published": "false"})) == [
        "Entwurf einer Frage"]
    latest = client.get(ADMIN, headers=admin, params={"sort": "-updated_at"})
    assert len(questions(latest)) == 2


def test_create_update_publish_delete_with_etags_and_audit(client, session, admin, admin_account):
    created = client.post(ADMIN, headers=admin, json=entry())
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["is_published"] is False and body["published_at"] is None
    assert body["created_by"] == f"user:{admin_account.id}"
    assert created.headers["location"] == f"/api/v1/faq/{body['id']}"
    etag = created.headers["etag"]
    item = f"{ADMIN}/{body['id']}"

    assert client.get(item, headers=admin).headers["etag"] == etag
    stale = client.patch(item, headers={**admin, "If-Match": '"faq-1-v99"'}, json={"position": 3})
    assert_problem(stale, 412, "precondition_failed")
    changed = client.patch(item, headers={**admin, "If-Match": etag}, json={"position": 3})
    assert changed.status_code == 200, changed.text
    assert changed.json()["position"] == 3 and changed.json()["version"] == 2
    assert changed.headers["etag"] != etag
    # Without If-Match, as everywhere in this API (scripts may omit it).
    assert client.patch(item, headers=admin, json={"category": "seal_criteria"}).status_code == 200
    unchanged = client.patch(item, headers=admin, json={"category": "seal_criteria"})
    assert unchanged.json()["version"] == 3

    assert_problem(client.post(f"{item}/publish", headers={**admin, "If-Match": etag}), 412)
    published = client.post(f"{item}/publish", headers=admin)
    assert published.status_code == 200 and published.json()["is_published"] is True
    assert published.json()["published_at"] is not None
    assert_problem(client.post(f"{item}/publish", headers=admin), 409, "faq_already_published")
    assert client.get(f"{PUBLIC}/{body['id']}").status_code == 200
    unpublished = client.post(f"{item}/unpublish", headers=admin)
    assert unpublished.status_code == 200 and unpublished.json()["is_published"] is False
    assert_problem(client.get(f"{PUBLIC}/{body['id']}"), 404)
    assert_problem(client.post(f"{item}/unpublish", headers=admin), 409, "faq_not_published")

    assert_problem(client.delete(item, headers={**admin, "If-Match": etag}), 412)
    current = client.get(item, headers=admin).headers["etag"]
    assert client.delete(item, headers={**admin, "If-Match": current}).status_code == 204
    assert_problem(client.get(item, headers=admin), 404, "faq_entry_not_found")
    assert_problem(client.delete(item, headers=admin), 404, "faq_entry_not_found")

    trail = session.exec(select(AuditEvent).where(AuditEvent.resource_type == "faq_entry",
                                                  AuditEvent.resource_id == str(body["id"]))
                         .order_by(AuditEvent.id)).all()
    assert [e.action for e in trail][:1] == ["faq_entry.create"]
    assert trail[-1].action == "faq_entry.delete"
    assert {e.actor for e in trail} == {f"user:{admin_account.id}"}
    assert any("position" in e.changed_fields for e in trail)


def test_wrong_callers_cannot_write_or_see_drafts(client, session, admin, alliance, alliance_user,
                                                  partner):
    draft = create(client, admin, publish=False)
    member = alliance_user(alliance)
    item = f"{ADMIN}/{draft['id']}"
    for headers, status in (({}, 401), (member, 403), (partner, 403)):
        assert_problem(client.get(ADMIN, headers=headers), status)
        assert_problem(client.get(item, headers=headers), status)
        assert_problem(client.post(ADMIN, headers=headers, json=entry()), status)
        assert_problem(client.patch(item, headers=headers, json={"position": 1}), status)
        assert_problem(client.post(f"{item}/publish", headers=headers), status)
        assert_problem(client.delete(item, headers=headers), status)
    assert session.get(FaqEntry, draft["id"]) is not None
    assert questions(client.get(PUBLIC, headers=member)) == []


@pytest.mark.parametrize(("body", "loc"), [
    (entry(question="Wer\x07 darf?"), ["body", "question"]),
    (entry(question="Wer\u202edarf teilnehmen?"), ["body", "question"]),
    (entry(question="Zeile eins\nZeile zwei"), ["body", "question"]),
    (entry(question="kurz"), ["body", "question"]),
    (entry(question="x" * 301), ["body", "question"]),
    (entry(answer="a" * 20_001), ["body", "answer"]),
    (entry(answer="Text mit \x1b[31m Farbe"), ["body", "answer"]),
    (entry(answer="   "), ["body", "answer"]),
    (entry(category="faq"), ["body", "category"]),
    (entry(position=-1), ["body", "position"]),
    (entry(position=10_000), ["body", "position"]),
    ({**entry(), "is_published": True}, ["body", "is_published"]),
    ({k: v for k, v in entry().items() if k != "answer"}, ["body", "answer"]),
])
def test_bad_input_is_refused_with_the_field_named(client, admin, body, loc):
    problem = assert_problem(client.post(ADMIN, headers=admin, json=body), 422)
    assert loc in [e["loc"] for e in problem["errors"]], problem


def test_markdown_answers_keep_line_breaks_and_updates_refuse_nulls(client, admin):
    created = create(client, admin, publish=False, answer="Absatz eins\n\n- Punkt\n\tEinzug")
    assert created["answer"] == "Absatz eins\n\n- Punkt\n\tEinzug"
    item = f"{ADMIN}/{created['id']}"
    problem = assert_problem(client.patch(item, headers=admin, json={"question": None}), 422,
                             "invalid_faq_entry")
    assert problem["errors"][0]["loc"] == ["body", "question"]
    assert_problem(client.patch(item, headers=admin, json={"unknown": 1}), 422)
    assert_problem(client.patch(f"{ADMIN}/999999", headers=admin, json={"position": 1}), 404)


def test_factories_world_entry_is_found_by_id(client, session):
    published = factories.make_faq_entry(session)
    assert client.get(f"{PUBLIC}/{published.id}").status_code == 200
