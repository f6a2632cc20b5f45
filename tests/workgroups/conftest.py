
import pytest

from tests import factories


@pytest.fixture
def cycles(session):
    previous = factories.make_cycle(session, key="2023/24", slug="2023-24", status="awarded")
    current = factories.make_cycle(session, key="2024/25", slug="2024-25", status="evaluated")
    return {"previous": previous, "current": current}


@pytest.fixture
def people(session, cycles):
    """a: invited to Projekt Zukunft; b: evaluated, not invited; c: previous seal;
    d: nothing; e: previous seal but dissolved."""
    ps = {name: factories.make_alliance(session) for name in "abcde"}
    factories.make_evaluation_run(session, cycles["current"], [(ps["a"], True), (ps["b"], False)])
    factories.make_award(session, cycles["previous"], ps["c"])
    factories.make_award(session, cycles["previous"], ps["e"])
    ps["e"].status = "dissolved"
    session.add(ps["e"])
    session.commit()
    return ps


@pytest.fixture
def workgroup(session, cycles):
    return factories.make_workgroup(session, cycles["current"], title="Arbeitsrunde Pflege")


@pytest.fixture
def users(session, people):
    return {name: factories.user_headers(factories.make_user(session, factories.Role.alliance_user,
                                                            alliance))
            for name, alliance in people.items()}
