"""Joining: eligibility by the rule, the Servicebüro's exception with a reason, requests,
decisions, leaving, invitations by rule with e-mail, member list and shared contacts."""

from tests import factories
from tests.utils.mail import all_mail
from tests.utils.problems import assert_problem
from tests.workgroups.helpers import audit, url


def join(client, workgroup, headers, note=None):
    return client.post(url(workgroup.id, "/membership"),
                       json={} if note is None else {"note": note}, headers=headers)


# --- eligibility --------------------------------------------------------------------------------

def test_invited_by_evaluation_and_previous_seal_may_ask(client, workgroup, users):
    for name, basis in (("a", "future_project"), ("c", "previous_seal")):
        before = client.get(url(workgroup.id, "/membership"), headers=users[name]).json()
        assert (before["status"], before["eligible"], before["eligibility_basis"]) == (
            None, True, basis)
        r = join(client, workgroup, users[name], note="Wir möchten mitarbeiten.")
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "requested" and r.json()["allowed_actions"] == ["leave"]


def test_neither_is_refused_saying_why(client, workgroup, users):
    for name in ("b", "d", "e"):
        r = join(client, workgroup, users[name])
        assert_problem(r, 409, "not_eligible")
        assert "Projekt Zukunft" in r.json()["detail"] or "active" in r.json()["detail"]
        state = client.get(url(workgroup.id, "/membership"), headers=users[name]).json()
        assert state["eligible"] is False and state["refusal"]


def test_closed_workgroup_refuses_joins(client, admin, session, workgroup, users, people):
    workgroup.status = "closed"
    session.add(workgroup)
    session.commit()
    assert_problem(join(client, workgroup, users["a"]), 409, "workgroup_closed")
    assert_problem(client.post(url(workgroup.id, "/members"), json={"alliance_id": people["a"].id},
                               headers=admin), 409, "workgroup_closed")
    assert_problem(client.post(url(workgroup.id, "/members:invite"), headers=admin), 409,
                   "workgroup_closed")


def test_admin_exception_needs_a_reason_and_is_audited(client, admin, session, workgroup, people):
    no_reason = client.post(url(workgroup.id, "/members"), json={"alliance_id": people["d"].id},
                            headers=admin)
    assert_problem(no_reason, 422, "reason_required")
    r = client.post(url(workgroup.id, "/members"),
                    json={"alliance_id": people["d"].id, "reason": "Modellprojekt Pflege"},
                    headers=admin)
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["basis"], r.json()["reason"]) == (
        "active", "manual", "Modellprojekt Pflege")
    events = audit(session, "workgroup_member.admitted_outside_rule")
    assert len(events) == 1 and events[0].changes["reason"] == "Modellprojekt Pflege"
    assert events[0].actor.startswith("user:")
    # dissolved alliances never; unknown ones are bad input; an active member cannot be added twice
    assert_problem(client.post(url(workgroup.id, "/members"),
                               json={"alliance_id": people["e"].id, "reason": "Ausnahme"},
                               headers=admin), 409, "alliance_not_active")
    assert_problem(client.post(url(workgroup.id, "/members"),
                               json={"alliance_id": 999999, "reason": "Ausnahme"}, headers=admin),
                   422, "unknown_reference")
    assert_problem(client.post(url(workgroup.id, "/members"),
                               json={"alliance_id": people["d"].id, "reason": "x" * 1001},
                               headers=admin), 422)
    assert_problem(client.post(url(workgroup.id, "/members"),
                               json={"alliance_id": people["d"].id, "reason": "Nochmal"},
                               headers=admin), 409, "invalid_transition")


def test_the_admitted_alliance_sees_its_membership_but_not_the_internal_reason(
        client, admin, workgroup, people, users):
    client.post(url(workgroup.id, "/members"), headers=admin,
                json={"alliance_id": people["d"].id, "reason": "Modellprojekt Pflege"})

    own = client.get(url(workgroup.id, f"/members/{people['d'].id}"), headers=users["d"])

    assert own.status_code == 200, own.text
    assert own.json()["status"] == "active" and own.json()["basis"] == "manual"
    assert own.json()["reason"] is None and own.json()["decided_by"] is None
    seen_by_admin = client.get(url(workgroup.id, f"/members/{people['d'].id}"), headers=admin)
    assert seen_by_admin.json()["reason"] == "Modellprojekt Pflege"


def test_eligible_alliance_added_by_admin_needs_no_reason(client, admin, session, workgroup,
                                                          people):
    r = client.post(url(workgroup.id, "/members"), json={"alliance_id": people["c"].id},
                    headers=admin)
    assert r.status_code == 200 and r.json()["basis"] == "previous_seal"
    assert audit(session, "workgroup_member.admitted_outside_rule") == []


# --- request, accept, decline, leave ------------------------------------------------------------

def test_request_accept_leave_and_ask_again(client, admin, workgroup, users, people):
    a = people["a"].id
    join(client, workgroup, users["a"], note="Gern dabei")
    assert_problem(join(client, workgroup, users["a"]), 409, "invalid_transition")
    # the wrong callers
    assert_problem(client.post(url(workgroup.id, f"/members/{a}/accept"), json={},
                               headers=users["a"]), 403)
    assert_problem(client.post(url(workgroup.id, "/membership"), json={}, headers=admin), 403)
    seen = client.get(url(workgroup.id, f"/members/{a}"), headers=admin).json()
    assert (seen["status"], seen["request_note"]) == ("requested", "Gern dabei")
    r = client.post(url(workgroup.id, f"/members/{a}/accept"), json={"note": "Willkommen"},
                    headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "active" and r.json()["decided_by"].startswith("user:")
    mine = client.get(url(workgroup.id, "/membership"), headers=users["a"]).json()
    assert (mine["status"], mine["note"]) == ("active", "Willkommen") and mine["joined_at"]
    assert client.get(url(workgroup.id), headers=users["a"]).json()["my_status"] == "active"
    assert client.get(url(workgroup.id), headers=admin).json()["member_count"] == 1
    left = client.post(url(workgroup.id, "/membership/leave"), headers=users["a"])
    assert left.status_code == 200 and left.json()["status"] == "left"
    assert_problem(client.post(url(workgroup.id, "/membership/leave"), headers=users["a"]), 409,
                   "invalid_transition")
    again = join(client, workgroup, users["a"])
    assert again.status_code == 200 and again.json()["status"] == "requested"


def test_decline_with_note(client, admin, workgroup, users, people):
    c = people["c"].id
    join(client, workgroup, users["c"])
    r = client.post(url(workgroup.id, f"/members/{c}/decline"), json={"note": "Bitte 2025"},
                    headers=admin)
    assert r.status_code == 200 and r.json()["status"] == "declined"
    mine = client.get(url(workgroup.id, "/membership"), headers=users["c"]).json()
    assert (mine["status"], mine["note"]) == ("declined", "Bitte 2025")
    assert_problem(client.post(url(workgroup.id, f"/members/{c}/accept"), json={},
                               headers=admin), 409, "invalid_transition")
    assert_problem(client.post(url(workgroup.id, f"/members/{c}/decline"),
                               json={"note": "x" * 1001}, headers=admin), 422)
    assert_problem(client.post(url(workgroup.id, f"/members/{people['d'].id}/accept"), json={},
                               headers=admin), 404, "membership_not_found")


def test_admin_removes_a_member(client, admin, session, cycles, people, users):
    workgroup = factories.make_workgroup(session, cycles["current"], members=[people["a"]])
    r = client.post(url(workgroup.id, f"/members/{people['a'].id}/remove"), json={},
                    headers=admin)
    assert r.status_code == 200 and r.json()["status"] == "left"
    assert_problem(client.get(url(workgroup.id, "/members"), headers=users["a"]), 403,
                   "workgroup_members_only")


# --- invitations by rule ------------------------------------------------------------------------

def test_invite_by_rule_is_idempotent_and_mails_once(client, admin, session, workgroup, people,
                                                     users):
    join(client, workgroup, users["c"])  # c asked already: kept as it is
    r = client.post(url(workgroup.id, "/members:invite"), headers=admin)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["added"] == [people["a"].id]
    assert report["counts"] == {"future_project": 1, "previous_seal": 0}
    assert (report["already"], report["emails_queued"]) == (1, 1)
    assert report["previous_cycle_key"] == "2023/24" and report["evaluation_run_id"]
    mails = all_mail(session)
    assert [m.recipient for m in mails] == [people["a"].contacts[0].email]
    assert "Arbeitsrunde" in mails[0].subject and "Guten Tag" in mails[0].body
    again = client.post(url(workgroup.id, "/members:invite"), headers=admin).json()
    assert (again["added"], again["emails_queued"], again["already"]) == ([], 0, 2)
    assert len(all_mail(session)) == 1
    # the invited alliance accepts by asking to join: active at once
    accepted = join(client, workgroup, users["a"])
    assert accepted.status_code == 200 and accepted.json()["status"] == "active"


def test_both_invitations_by_the_rule_wait_for_the_cycles_evaluation_run(
        client, admin, session):
    """Workgroup members:invite and event invitations:generate apply one rule (the latest
    run's Projekt Zukunft invitations plus the previous cycle's seal alliances) and both refuse
    before the cycle has a run: 409 no_evaluation_run, nothing invited, nothing mailed. With a
    run both invite the same alliances on the same bases."""
    previous = factories.make_cycle(session, key="2023/24", slug="2023-24", status="awarded")
    current = factories.make_cycle(session, key="2024/25", slug="2024-25",
                                   status="survey_open")
    chosen, seal = factories.make_alliance(session), factories.make_alliance(session)
    factories.make_award(session, previous, seal)
    workgroup = factories.make_workgroup(session, current)
    event = factories.make_event(session, cycle_id=current.id, kind="exchange", venue="online")
    invite_wg = url(workgroup.id, "/members:invite")
    invite_ev = f"/api/v1/events/{event.id}/invitations:generate"

    for path in (invite_wg, invite_ev):
        assert_problem(client.post(path, headers=admin), 409, "no_evaluation_run")
    assert all_mail(session) == []
    assert client.get(url(workgroup.id, "/members"), headers=admin).json()["items"] == []

    run = factories.make_evaluation_run(session, current, [(chosen, True)])
    by_workgroup = client.post(invite_wg, headers=admin).json()
    by_event = client.post(invite_ev, headers=admin).json()
    assert by_workgroup["added"] == by_event["added"] == sorted([chosen.id, seal.id])
    assert by_workgroup["evaluation_run_id"] == by_event["evaluation_run_id"] == run.id
    assert by_workgroup["counts"] == {"future_project": 1, "previous_seal": 1}
    assert (by_event["counts"]["future_project"], by_event["counts"]["previous_seal"]) == (1, 1)


def test_only_the_servicebuero_invites_by_the_rule(client, session, workgroup, users, partner):
    for headers in ({}, users["a"], partner):
        r = client.post(url(workgroup.id, "/members:invite"), headers=headers)
        assert r.status_code in (401, 403), r.text
    assert client.post(url(987654, "/members:invite"), headers=users["a"]).status_code in (403,
                                                                                           404)


def test_invitation_mail_goes_to_every_contact_with_an_address_that_accepts_mail(
        client, admin, session, cycles):
    alliance = factories.make_alliance(session, contacts=[
        {"name": "Eins", "email": "eins@example.org"}, {"name": "Zwei", "email": None},
        {"name": "Vier", "email": "vier@example.org", "accepts_mail": False},
        {"name": "Drei", "email": "drei@example.org"}])
    factories.make_evaluation_run(session, cycles["current"], [(alliance, True)])
    workgroup = factories.make_workgroup(session, cycles["current"])
    report = client.post(url(workgroup.id, "/members:invite"), headers=admin).json()
    assert report["emails_queued"] == 2
    assert sorted(m.recipient for m in all_mail(session)) == ["drei@example.org",
                                                             "eins@example.org"]


# --- member list and shared contacts ------------------------------------------------------------

def test_member_list_and_contact_sharing(client, admin, session, cycles, people, users):
    workgroup = factories.make_workgroup(session, cycles["current"],
                                         members=[people["a"], people["c"]])
    contact = people["a"].contacts[0]
    listed = client.get(url(workgroup.id, "/members"), headers=users["c"])
    assert listed.status_code == 200 and listed.headers["Cache-Control"] == "no-store"
    items = {m["alliance"]["id"]: m for m in listed.json()["items"]}
    assert set(items) == {people["a"].id, people["c"].id}
    assert items[people["a"].id]["shared_contact"] is None  # default: nobody
    assert items[people["a"].id]["basis"] is None  # admin-only fields stay null for members
    # a foreign contact and bad input are refused
    other_contact = people["d"].contacts[0].id
    assert_problem(client.patch(url(workgroup.id, "/membership"),
                                json={"shared_contact_id": other_contact}, headers=users["a"]),
                   422, "unknown_contact")
    assert_problem(client.patch(url(workgroup.id, "/membership"),
                                json={"shared_contact_id": "x"}, headers=users["a"]), 422)
    assert_problem(client.patch(url(workgroup.id, "/membership"), json={}, headers=users["a"]),
                   422)
    shared = client.patch(url(workgroup.id, "/membership"),
                          json={"shared_contact_id": contact.id}, headers=users["a"])
    assert shared.status_code == 200 and shared.json()["shared_contact"]["email"] == contact.email
    items = {m["alliance"]["id"]: m for m in client.get(
        url(workgroup.id, "/members"), headers=users["c"]).json()["items"]}
    assert items[people["a"].id]["shared_contact"]["name"] == contact.name
    # non-members see neither the list nor the contact
    for outsider in ("b", "d"):
        r = client.get(url(workgroup.id, "/members"), headers=users[outsider])
        assert_problem(r, 403, "workgroup_members_only")
        assert contact.email not in r.text
        assert_problem(client.get(url(workgroup.id, f"/members/{people['a'].id}"),
                                  headers=users[outsider]), 404)
    # the admin sees every status and field
    full = client.get(url(workgroup.id, "/members"), headers=admin).json()["items"]
    assert all(m["basis"] == "manual" for m in full)
    # an alliance with no membership cannot choose a contact
    assert_problem(client.patch(url(workgroup.id, "/membership"),
                                json={"shared_contact_id": None}, headers=users["d"]), 404,
                   "membership_not_found")


def test_requested_member_does_not_see_the_list(client, workgroup, users):
    join(client, workgroup, users["a"])
    assert_problem(client.get(url(workgroup.id, "/members"), headers=users["a"]), 403,
                   "workgroup_members_only")


def test_unknown_workgroup_is_404_before_the_body(client, users, admin):
    assert_problem(client.post(url(999999, "/membership"), json={"bad": 1}, headers=users["a"]),
                   404, "workgroup_not_found")
    assert_problem(client.post(url(999999, "/members"), json={"bad": 1}, headers=admin), 404,
                   "workgroup_not_found")


def test_erased_or_replaced_contact_is_shared_no_more(client, admin, session, cycles, people,
                                                      users):
    workgroup = factories.make_workgroup(session, cycles["current"],
                                         members=[people["a"], people["c"]])
    contact = people["a"].contacts[0]
    client.patch(url(workgroup.id, "/membership"), json={"shared_contact_id": contact.id},
                 headers=users["a"])
    erased = client.post(f"/api/v1/people/contact/{contact.id}:erase", headers=admin)
    assert erased.status_code == 200, erased.text
    items = client.get(url(workgroup.id, "/members"), headers=users["c"]).json()["items"]
    assert all(m["shared_contact"] is None for m in items)
    assert_problem(client.patch(url(workgroup.id, "/membership"),
                                json={"shared_contact_id": contact.id}, headers=users["a"]),
                   422, "unknown_contact")
    # the alliance replaces its contacts: the shared one is gone, nothing breaks
    replaced = client.patch(f"/api/v1/alliances/{people['a'].id}", headers=admin, json={
        "contacts": [{"name": "Neue Koordination", "email": "neu@example.org"}]})
    assert replaced.status_code == 200, replaced.text
    mine = client.get(url(workgroup.id, "/membership"), headers=users["a"])
    assert mine.status_code == 200 and mine.json()["shared_contact"] is None


def test_invitation_is_delivered_in_german_over_smtp(client, admin, session, workgroup, people):
    from functools import partial

    import anyio

    from app.mail.dispatch import dispatch_due
    from tests.mail.smtp import running_smtp_server

    client.post(url(workgroup.id, "/members:invite"), headers=admin)
    with running_smtp_server() as smtp:
        report = anyio.run(partial(dispatch_due, session, smtp.sender()))
    assert report.sent == 2  # a (Projekt Zukunft) and c (previous seal)
    assert sorted(r.rcpt_tos[0] for r in smtp.received) == sorted(
        [people["a"].contacts[0].email, people["c"].contacts[0].email])
    received = smtp.received[0]
    assert received.message["Subject"] == "Einladung in die Arbeitsrunde „Arbeitsrunde Pflege“"
    text = received.message.get_content()
    assert "Projekt Zukunft" in text and "Kinderbetreuung" not in text
    assert "Vereinbarkeit" in text  # topic 1, by its German title
