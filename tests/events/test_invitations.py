"""Invitations (Servicebüro): the list, manual additions, the DOMAIN rule of step 5 and removal."""

import pytest
from sqlmodel import select

from app.events.models import EventInvitation, EventKind, EventStatus
from tests import factories
from tests.events.helpers import url
from tests.utils.problems import assert_problem


def invited(session, event):
    session.expire_all()
    return {(i.alliance_id, i.basis) for i in session.exec(
        select(EventInvitation).where(EventInvitation.event_id == event.id))}


@pytest.fixture
def people(session):
    return {name: factories.make_alliance(session) for name in ("a", "b", "c", "d", "e")}


# --- the DOMAIN rule ----------------------------------------------------------------------------

def test_a_workshop_invites_future_project_and_last_cycles_seal_alliances(client, admin, session,
                                                                          cycles, people):
    factories.make_evaluation_run(session, cycles["current"], [(people["a"], False), (people["b"], False)])
    run = factories.make_evaluation_run(session, cycles["current"], [(people["a"], True), (people["b"], False)])
    factories.make_award(session, cycles["previous"], people["a"])  # on both lists
    factories.make_award(session, cycles["previous"], people["c"])
    factories.make_award(session, cycles["previous"], people["e"], status="withdrawn")
    factories.make_award(session, cycles["older"], people["d"])  # not the previous cycle
    event = factories.make_event(session, cycle_id=cycles["current"].id, topics=(1,))

    r = client.post(url(event.id, "/invitations:generate"), headers=admin)

    assert r.status_code == 200, r.text
    body = r.json()
    assert body["added"] == sorted([people["a"].id, people["c"].id])
    assert body["counts"] == {"future_project": 1, "previous_seal": 1, "seal": 0, "workgroup": 0}
    assert (body["already_invited"], body["evaluation_run_id"]) == (0, run.id)
    assert body["previous_cycle_key"] == "2023/24"
    assert invited(session, event) == {(people["a"].id, "future_project"),
                                       (people["c"].id, "previous_seal")}


def test_generating_twice_adds_nothing(client, admin, session, cycles, people):
    factories.make_evaluation_run(session, cycles["current"], [(people["a"], True)])
    event = factories.make_event(session, cycle_id=cycles["current"].id, invited=[people["b"]])

    first = client.post(url(event.id, "/invitations:generate"), headers=admin).json()
    second = client.post(url(event.id, "/invitations:generate"), headers=admin).json()

    assert (first["added"], first["already_invited"]) == ([people["a"].id], 1)
    assert (second["added"], second["already_invited"]) == ([], 2)
    assert second["counts"] == {"future_project": 0, "previous_seal": 0, "seal": 0, "workgroup": 0}
    assert invited(session, event) == {(people["a"].id, "future_project"),
                                       (people["b"].id, "manual")}


@pytest.mark.parametrize("status", ["dissolved", "dormant"])
def test_seal_alliances_that_are_no_longer_active_are_not_invited(client, admin, session, cycles,
                                                                  people, status):
    factories.make_evaluation_run(session, cycles["current"], [(people["a"], True)])
    factories.make_award(session, cycles["previous"], people["c"])
    factories.make_award(session, cycles["previous"], people["d"])
    people["d"].status = status
    session.add(people["d"])
    session.commit()
    event = factories.make_event(session, cycle_id=cycles["current"].id)

    body = client.post(url(event.id, "/invitations:generate"), headers=admin).json()

    assert body["added"] == sorted([people["a"].id, people["c"].id])


def test_a_ceremony_invites_the_cycles_seal_alliances(client, admin, session, cycles, people):
    factories.make_award(session, cycles["current"], people["b"])
    factories.make_award(session, cycles["previous"], people["c"])
    event = factories.make_event(session, kind=EventKind.ceremony, cycle_id=cycles["current"].id,
                                 topics=())

    body = client.post(url(event.id, "/invitations:generate"), headers=admin).json()

    assert body["added"] == [people["b"].id]
    assert body["counts"] == {"future_project": 0, "previous_seal": 0, "seal": 1, "workgroup": 0}
    assert body["evaluation_run_id"] is None and body["previous_cycle_key"] is None


def test_an_event_without_a_cycle_cannot_generate(client, admin, session):
    event = factories.make_event(session)
    assert_problem(client.post(url(event.id, "/invitations:generate"), headers=admin), 409,
                   "event_without_cycle")


def test_a_cycle_without_an_evaluation_run_cannot_generate(client, admin, session, cycles):
    event = factories.make_event(session, cycle_id=cycles["current"].id)
    assert_problem(client.post(url(event.id, "/invitations:generate"), headers=admin), 409,
                   "no_evaluation_run")


def test_a_cancelled_event_takes_no_invitations(client, admin, session, cycles, people):
    event = factories.make_event(session, status=EventStatus.cancelled,
                                 cycle_id=cycles["current"].id)
    assert_problem(client.post(url(event.id, "/invitations:generate"), headers=admin), 409,
                   "event_cancelled")
    assert_problem(client.post(url(event.id, "/invitations"), headers=admin,
                               json={"alliance_ids": [people["a"].id]}), 409, "event_cancelled")


# --- by hand ------------------------------------------------------------------------------------

def test_the_servicebuero_invites_by_hand(client, admin, admin_account, session, people):
    event = factories.make_event(session, invited=[people["a"]])

    r = client.post(url(event.id, "/invitations"), headers=admin,
                    json={"alliance_ids": [people["b"].id, people["a"].id, people["b"].id]})

    assert r.status_code == 200, r.text
    assert r.json() == {"added": [people["b"].id], "already_invited": [people["a"].id],
                        "emails_queued": 1}
    row = session.exec(select(EventInvitation).where(
        EventInvitation.alliance_id == people["b"].id)).one()
    assert (row.basis, row.invited_by) == ("manual", f"user:{admin_account.id}")


def test_an_unknown_alliance_is_invalid_input_and_nothing_is_written(client, admin, session, people):
    event = factories.make_event(session)

    r = client.post(url(event.id, "/invitations"), headers=admin,
                    json={"alliance_ids": [people["a"].id, 999999]})

    body = assert_problem(r, 422, "unknown_reference")
    assert body["errors"][0]["loc"] == ["body", "alliance_ids", 1]
    assert invited(session, event) == set()


@pytest.mark.parametrize("body", [{"alliance_ids": []}, {"alliance_ids": [0]},
                                  {"alliance_ids": [1], "basis": "seal"}, {}])
def test_bad_invitation_input(client, admin, session, body):
    event = factories.make_event(session)
    assert_problem(client.post(url(event.id, "/invitations"), headers=admin, json=body), 422,
                   "validation_error")


def test_the_list_names_alliance_basis_and_delegates(client, admin, session, people):
    event = factories.make_event(session, invited=[people["a"], people["b"]])
    factories.make_delegate(session, event, people["a"])
    factories.make_delegate(session, event, people["a"], status="withdrawn")

    r = client.get(url(event.id, "/invitations"), headers=admin)

    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [(i["alliance"]["id"], i["alliance"]["name"], i["basis"], i["registered_delegates"])
            for i in items] == [(people["a"].id, people["a"].name, "manual", 1),
                                (people["b"].id, people["b"].name, "manual", 0)]
    assert client.get(url(event.id, "/invitations"), headers=admin,
                      params={"basis": "seal"}).json()["items"] == []


# --- removal ------------------------------------------------------------------------------------

def test_an_invitation_is_taken_back(client, admin, session, people):
    event = factories.make_event(session, invited=[people["a"]])
    factories.make_delegate(session, event, people["a"], status="withdrawn")

    r = client.delete(url(event.id, f"/invitations/{people['a'].id}"), headers=admin)

    assert r.status_code == 204, r.text
    assert invited(session, event) == set()


def test_an_invitation_with_registered_delegates_stays(client, admin, session, people):
    event = factories.make_event(session, invited=[people["a"]])
    factories.make_delegate(session, event, people["a"])

    assert_problem(client.delete(url(event.id, f"/invitations/{people['a'].id}"), headers=admin),
                   409, "invitation_in_use")


def test_taking_back_a_missing_invitation_is_404(client, admin, session, people):
    event = factories.make_event(session)
    assert_problem(client.delete(url(event.id, f"/invitations/{people['a'].id}"), headers=admin),
                   404, "invitation_not_found")


# --- wrong callers ------------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "suffix", "body"), [
    ("GET", "/invitations", None), ("POST", "/invitations", {"alliance_ids": [1]}),
    ("POST", "/invitations:generate", None), ("DELETE", "/invitations/1", None),
])
def test_only_the_servicebuero_handles_invitations(client, session, alliance, member_headers,
                                                   partner, method, suffix, body):
    event = factories.make_event(session, invited=[alliance])
    for headers, status in ((member_headers, 403), (partner, 403), ({}, 401)):
        assert_problem(client.request(method, url(event.id, suffix), headers=headers, json=body),
                       status)


def test_invitations_of_an_unknown_event_are_404(client, admin):
    assert_problem(client.get(url(987654, "/invitations"), headers=admin), 404, "event_not_found")
    assert_problem(client.post(url(987654, "/invitations:generate"), headers=admin), 404,
                   "event_not_found")
