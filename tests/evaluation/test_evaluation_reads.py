"""The evaluation reads from Core rows (app/evaluation/reads.py) answer byte for byte as the ORM
path they replaced: an evaluated cycle is read through the API both ways and the bodies, the
next cursors and the headers compared."""

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.alliances.models import Alliance
from app.auth.models import Role
from app.auth.principal import Principal
from app.core.db import columns_of, table_of
from app.core.pagination import PageParams, SortKey, paginate
from app.cycles.models import AwardCycle, CycleStatus
from app.cycles.service import get_cycle
from app.evaluation import queries, reads
from app.evaluation.exceptions import EvaluationNotFound, NoOwnAlliance
from app.evaluation.models import Evaluation
from app.evaluation.schemas import AllianceRef, EvaluationRead
from tests import factories
from tests.evaluation.helpers import WEAK_ANSWERS, cycle_url
from tests.utils.problems import assert_problem
from tests.utils.replies import answered_both_ways, assert_same_reply

REASON = {"reason": "Auswertung nach Ende der Umfrage"}


# --- the ORM path as it was (the reference), given the read unit's connection ------------------

def _alliance_refs(session: Session, alliance_ids: Sequence[int]) -> dict[int, AllianceRef]:
    if not alliance_ids:
        return {}
    rows = session.exec(select(Alliance.id, col(Alliance.name), col(Alliance.slug),
                               col(Alliance.state)).where(col(Alliance.id).in_(alliance_ids))).all()
    return {alliance_id: AllianceRef(id=alliance_id, name=name, slug=slug, state=state)
            for alliance_id, name, slug, state in rows if alliance_id is not None}


def _reply(values: Mapping[str, Any], alliance: AllianceRef) -> EvaluationRead:
    return EvaluationRead.model_validate({
        "id": values["id"], "run_id": values["run_id"], "cycle_id": values["cycle_id"],
        "alliance": alliance, "response_id": values["response_id"],
        "activity_score": values["activity_score"], "meets_criteria": values["meets_criteria"],
        "wants_future_project": values["wants_future_project"],
        "invited_to_future_project": values["invited_to_future_project"],
        "criteria": values["criteria_results"], "evaluated_at": values["created_at"],
    })


_EVALUATION = table_of(Evaluation)


def orm_list_evaluations(
    connection: Connection, cycle_ref: str, params: PageParams, *,
    meets_criteria: bool | None = None, invited: bool | None = None, state: str | None = None,
    run_id: int | None = None, sort: str = "-activity_score",
) -> tuple[list[EvaluationRead], str | None, int | None]:
    with Session(bind=connection) as session:
        cycle = get_cycle(session, cycle_ref)
        assert cycle.id is not None
        run = (queries._run_of(session, cycle.id, run_id) if run_id is not None
               else queries.latest_run(session, cycle.id))
        if run is None:
            return [], None, 0 if params.include_total else None
        table = _EVALUATION.c
        query = sa_select(_EVALUATION).where(table.run_id == run.id)
        if meets_criteria is not None:
            query = query.where(table.meets_criteria == meets_criteria)
        if invited is not None:
            query = query.where(table.invited_to_future_project == invited)
        if state is not None:
            query = query.join(Alliance, col(Alliance.id) == table.alliance_id).where(
                col(Alliance.state) == state)
        column = table.alliance_id if sort == "alliance_id" else table.activity_score
        rows, cursor, total = paginate(
            session, cast(Any, query), SortKey(column, table.id, descending=sort.startswith("-")),
            params, value_of=lambda e: e.alliance_id if sort == "alliance_id" else e.activity_score,
            id_of=lambda e: e.id,
        )
        mappings = [row._mapping for row in rows]
        refs = _alliance_refs(session, [m["alliance_id"] for m in mappings])
        return [_reply(m, refs[m["alliance_id"]]) for m in mappings], cursor, total


def _orm_latest_for(session: Session, cycle_ref: str, alliance_id: int) -> EvaluationRead:
    cycle = get_cycle(session, cycle_ref)
    assert cycle.id is not None
    run = queries.latest_run(session, cycle.id)
    evaluation = None
    if run is not None:
        evaluation = session.exec(
            select(Evaluation).where(Evaluation.run_id == run.id, Evaluation.alliance_id == alliance_id)
        ).first()
    if evaluation is None:
        raise EvaluationNotFound(
            f"No evaluation for alliance {alliance_id} in cycle {cycle.key}: not evaluated yet, "
            "or no submitted response."
        )
    return _reply(columns_of(evaluation), _alliance_refs(session, [alliance_id])[alliance_id])


def orm_read_mine(connection: Connection, cycle_ref: str, principal: Principal) -> EvaluationRead:
    if principal.alliance_id is None:
        raise NoOwnAlliance("Only alliance users have an own evaluation; "
                            "read /evaluations/{alliance_id} instead.")
    with Session(bind=connection) as session:
        return _orm_latest_for(session, cycle_ref, principal.alliance_id)


def orm_read_for_alliance(connection: Connection, cycle_ref: str, alliance_id: int,
                          principal: Principal) -> EvaluationRead:
    if not principal.acts_for(alliance_id):
        raise EvaluationNotFound(f"No evaluation for alliance {alliance_id} in this cycle.")
    with Session(bind=connection) as session:
        return _orm_latest_for(session, cycle_ref, alliance_id)


# --- the world: a cycle evaluated twice, one never evaluated -------------------------------------

# (Land, answers, wants Projekt Zukunft): scores tie in groups, so pages split inside a tie.
_SPECS: list[tuple[str, dict[str, Any] | None, bool]] = [
    ("DE-BY", None, True), ("DE-NW", WEAK_ANSWERS, True), ("DE-SN", None, False),
    ("DE-NW", None, True), ("DE-BY", WEAK_ANSWERS, False), ("DE-SN", WEAK_ANSWERS, True),
    ("DE-NW", {**WEAK_ANSWERS, "press_coverage": True}, True), ("DE-BY", None, False),
    ("DE-NW", None, False), ("DE-SN", {**WEAK_ANSWERS, "offer_frequency": "monthly"}, True),
    ("DE-BY", WEAK_ANSWERS, True), ("DE-NW", None, True), ("DE-BY", None, True),
]


@pytest.fixture
def evaluated(client: TestClient, session: Session, admin: dict[str, str],
              cycle: AwardCycle) -> dict[str, Any]:
    factories.make_criteria(session, cycle)
    alliances = []
    for land, answers, future in _SPECS:
        alliance = factories.make_alliance(session, state=land)
        factories.make_scored_response(session, cycle, alliance, answers=answers,
                                       wants_future_project=future)
        alliances.append(alliance)
    unanswered = factories.make_alliance(session)
    factories.make_scored_response(session, cycle, unanswered, submitted=False)
    first = client.post(cycle_url(cycle, "evaluation"), headers=admin, json=REASON)
    stricter = {"criteria": [{"key": "activity", "label": "Aktiv",
                              "rule": {"kind": "total_score_at_least", "min": 10}}]}
    assert client.put(cycle_url(cycle, "criteria"), headers=admin, json=stricter).status_code == 200
    second = client.post(cycle_url(cycle, "evaluation"), headers=admin,
                         json={"reason": "Schwelle auf 10 Punkte gesenkt"})
    assert first.status_code == second.status_code == 201, (first.text, second.text)
    never = factories.make_cycle(session, status=CycleStatus.survey_closed)
    return {"alliances": alliances, "unanswered": unanswered, "first_run": first.json()["id"],
            "latest_run": second.json()["id"], "never": never}


def both_ways(client: TestClient, monkeypatch: pytest.MonkeyPatch, url: str,
              headers: dict[str, str] | None = None, **params: Any) -> tuple[Any, Any]:
    old_functions = {
        "list_evaluations": orm_list_evaluations,
        "read_mine": orm_read_mine,
        "read_for_alliance": orm_read_for_alliance,
    }
    return answered_both_ways(client, monkeypatch, reads, old_functions, url, headers=headers, params=params)


def cursor_of(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


# --- the list -------------------------------------------------------------------------------------

@pytest.mark.parametrize("params", [
    {},
    {"limit": 100, "include_total": "true"},
    {"limit": 3},
    {"limit": 4, "sort": "activity_score", "include_total": "true"},
    {"limit": 5, "sort": "alliance_id"},
    {"limit": 2, "meets_criteria": "true"},
    {"limit": 2, "meets_criteria": "false", "sort": "activity_score"},
    {"limit": 3, "invited": "true", "include_total": "true"},
    {"limit": 2, "state": "DE-NW"},
    {"limit": 2, "state": "DE-BY", "meets_criteria": "true", "invited": "false", "sort": "alliance_id"},
    {"limit": 3, "run": "first"},
    {"limit": 2, "run": "first", "state": "DE-SN", "include_total": "true", "sort": "-activity_score"},
    {"limit": 1, "run": "latest", "invited": "false"},
    {"state": "DE-HB", "include_total": "true"},
])
def test_every_page_reads_the_same(client, monkeypatch, admin, cycle, evaluated, params):
    params = dict(params)
    run = params.pop("run", None)
    if run is not None:
        params["run_id"] = evaluated[f"{run}_run"]
    url = cycle_url(cycle, "evaluations")
    seen: list[int] = []
    for _page in range(len(_SPECS) + 2):  # every page, to past the end
        new, old = both_ways(client, monkeypatch, url, admin, **params)
        assert new.status_code == 200
        assert_same_reply(new, old)
        body = new.json()
        seen += [item["id"] for item in body["items"]]
        if body["next_cursor"] is None:
            break
        params["cursor"] = body["next_cursor"]  # the cursor the new path wrote
    else:
        pytest.fail("the pages never ended")
    assert len(seen) == len(set(seen))
    if params.get("state") != "DE-HB":
        assert seen


def test_a_cursor_from_before_the_change_reads_on(client, monkeypatch, admin, cycle, evaluated):
    """Clients keep cursors across the deploy: one the ORM path wrote pages the new path."""
    url = cycle_url(cycle, "evaluations")
    for sort in ("-activity_score", "activity_score", "alliance_id"):
        with monkeypatch.context() as patched:
            patched.setattr(reads, "list_evaluations", orm_list_evaluations)
            cursor = client.get(url, headers=admin, params={"limit": 4, "sort": sort}).json()["next_cursor"]
        assert cursor
        new, old = both_ways(client, monkeypatch, url, admin, limit=4, sort=sort, cursor=cursor)
        assert_same_reply(new, old)
        assert new.json()["items"]


def test_a_cycle_never_evaluated_reads_the_same(client, monkeypatch, admin, evaluated):
    url = cycle_url(evaluated["never"], "evaluations")
    for params in ({}, {"include_total": "true"}, {"cursor": "not-a-cursor"},
                   {"cursor": "not-a-cursor", "include_total": "true", "sort": "alliance_id"},
                   {"cursor": cursor_of([19.0, 1]), "include_total": "true"}):
        new, old = both_ways(client, monkeypatch, url, admin, **params)
        assert new.status_code == 200
        assert_same_reply(new, old)
    assert new.json() == {"items": [], "next_cursor": None, "total": 0}


def test_unknown_cycles_and_runs_are_the_same_problems(client, monkeypatch, admin, session, cycle,
                                                      evaluated):
    foreign = factories.make_evaluation_run(session, evaluated["never"], [])
    for path, params, status in (
        ("/api/v1/cycles/1999-00/evaluations", {}, 404),
        ("/api/v1/cycles/999999/evaluations", {}, 404),
        ("/api/v1/cycles/2147483647/evaluations", {"include_total": "true"}, 404),
        (cycle_url(cycle, "evaluations"), {"run_id": evaluated["latest_run"] + 1000}, 404),
        (cycle_url(cycle, "evaluations"), {"run_id": foreign.id}, 404),
        (cycle_url(cycle, "evaluations"), {"run_id": foreign.id, "cursor": "x"}, 404),
        (cycle_url(evaluated["never"], "evaluations"), {"run_id": evaluated["first_run"]}, 404),
    ):
        new, old = both_ways(client, monkeypatch, path, admin, **params)
        assert new.status_code == status
        assert_same_reply(new, old)
    # a run named by its cycle's id rather than slug
    new, old = both_ways(client, monkeypatch, f"/api/v1/cycles/{cycle.id}/evaluations", admin,
                         run_id=evaluated["first_run"], limit=2)
    assert new.status_code == 200
    assert_same_reply(new, old)


@pytest.mark.parametrize(("sort", "cursor"), [
    ("-activity_score", "not-a-cursor"),
    ("-activity_score", "%%%"),
    ("-activity_score", cursor_of([19.0])),
    ("-activity_score", cursor_of([19.0, 1, 2])),
    ("-activity_score", cursor_of({"score": 19.0})),
    ("-activity_score", cursor_of([19.0, "1"])),
    ("-activity_score", cursor_of([19.0, None])),
    ("-activity_score", cursor_of([None, 3])),
    ("activity_score", cursor_of([19.0, 2**64])),
    ("alliance_id", cursor_of(["3", 1])),
    ("alliance_id", cursor_of([3.5, 1])),
    ("alliance_id", cursor_of([True, 1])),
])
def test_invalid_cursors_are_the_same_problem(client, monkeypatch, admin, cycle, evaluated, sort,
                                              cursor):
    new, old = both_ways(client, monkeypatch, cycle_url(cycle, "evaluations"), admin, sort=sort,
                         cursor=cursor, include_total="true")
    problem = assert_problem(new, 422, "rule_violation")
    assert [e["type"] for e in problem["errors"]] == ["cursor_invalid"]
    assert_same_reply(new, old)


@pytest.mark.parametrize("score", ["abc", True, [1], 1e999, 10**400])
def test_a_score_cursor_that_is_no_number_is_invalid(client, admin, cycle, evaluated, score):
    """Not compared: the ORM path sent these to the driver (a string: 500, and on PostgreSQL an
    aborted transaction; ``true``: compared as 1)."""
    for sort in ("-activity_score", "activity_score"):
        problem = assert_problem(client.get(cycle_url(cycle, "evaluations"), headers=admin, params={
            "sort": sort, "cursor": cursor_of([score, 1])}), 422, "rule_violation")
        assert [(e["loc"], e["type"]) for e in problem["errors"]] == [(["query", "cursor"],
                                                                        "cursor_invalid")]


def test_only_admins_list_and_no_one_else_reaches_the_list(client, monkeypatch, session, admin,
                                                           partner, cycle, evaluated):
    own = factories.user_headers(factories.make_user(session, Role.alliance_user,
                                                     evaluated["alliances"][0]))
    reader_client = factories.client_headers(factories.make_client(session, scopes=("surveys:read",)))

    def never(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the list was read for a caller the route refuses")

    url = cycle_url(cycle, "evaluations")
    for headers, status in ((None, 401), (own, 403), (partner, 403), (reader_client, 403)):
        new, old = both_ways(client, monkeypatch, url, headers, limit=2)
        assert_problem(new, status)
        assert_same_reply(new, old)
        with monkeypatch.context() as patched:
            patched.setattr(reads, "list_evaluations", never)
            assert_problem(client.get(url, headers=headers), status)


def test_a_page_costs_the_same_statements_whatever_its_size(client, admin, cycle, evaluated,
                                                            connection):
    """The alliances come joined to the page, not with a query of their own (or one each)."""
    counted: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):  # not the tests' savepoints
            counted.append(statement)

    url = cycle_url(cycle, "evaluations")
    event.listen(connection, "before_cursor_execute", count)
    try:
        sizes = []
        for params in ({"limit": 2}, {"limit": 100}, {"limit": 2, "include_total": "true"},
                       {"limit": 100, "run_id": evaluated["first_run"], "state": "DE-NW"}):
            counted.clear()
            assert client.get(url, headers=admin, params=params).status_code == 200
            sizes.append(len(counted))
    finally:
        event.remove(connection, "before_cursor_execute", count)
    # the caller, the cycle, the page (the latest run's id a subquery of it); with the total,
    # the latest run's id first (total and page count the same run) and the count; a named
    # run is checked first
    assert sizes == [3, 3, 5, 4]


# --- one alliance's result --------------------------------------------------------------------------

def test_one_result_reads_the_same_for_every_caller(client, monkeypatch, session, admin, partner,
                                                    cycle, evaluated):
    alliances = evaluated["alliances"]
    for alliance in [*alliances, evaluated["unanswered"]]:
        new, old = both_ways(client, monkeypatch, cycle_url(cycle, f"evaluations/{alliance.id}"), admin)
        assert new.status_code == (404 if alliance is evaluated["unanswered"] else 200)
        assert_same_reply(new, old)
    own = factories.user_headers(factories.make_user(session, Role.alliance_user, alliances[1]))
    unanswered = factories.user_headers(factories.make_user(session, Role.alliance_user,
                                                            evaluated["unanswered"]))
    for headers, tail, status in (
        (own, f"evaluations/{alliances[1].id}", 200), (own, "evaluations/mine", 200),
        (own, f"evaluations/{alliances[0].id}", 404), (unanswered, "evaluations/mine", 404),
        (admin, "evaluations/mine", 403), (partner, "evaluations/mine", 403),
        (None, "evaluations/mine", 401), (admin, "evaluations/2147483647", 404),
    ):
        new, old = both_ways(client, monkeypatch, cycle_url(cycle, tail), headers)
        assert new.status_code == status, (tail, new.text)
        assert_same_reply(new, old)
    for url, named in ((cycle_url(evaluated["never"], "evaluations/mine"), evaluated["never"].key),
                       (cycle_url(evaluated["never"], f"evaluations/{alliances[1].id}"),
                        evaluated["never"].key),
                       (f"/api/v1/cycles/{evaluated['never'].id}/evaluations/mine",
                        evaluated["never"].key),
                       ("/api/v1/cycles/1999-00/evaluations/mine", "1999-00")):
        new, old = both_ways(client, monkeypatch, url, own)
        assert new.status_code == 404
        assert_same_reply(new, old)
        assert named in new.json()["detail"], (url, new.json()["detail"])


def test_the_result_comes_from_the_latest_run(client, admin, cycle, evaluated):
    alliance = evaluated["alliances"][0]
    one = client.get(cycle_url(cycle, f"evaluations/{alliance.id}"), headers=admin).json()
    assert one["run_id"] == evaluated["latest_run"]
    listed = client.get(cycle_url(cycle, "evaluations"), headers=admin, params={"limit": 100}).json()
    assert [item for item in listed["items"] if item["alliance"]["id"] == alliance.id] == [one]
