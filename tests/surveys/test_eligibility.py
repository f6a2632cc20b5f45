"""The shared eligibility functions against the database."""

from sqlmodel import col

from app.alliances.models import Alliance, AllianceStatus
from app.awards.models import AwardStatus
from app.surveys.eligibility import (
    eligible_alliances_query,
    eligible_among,
    is_eligible,
)
from tests import factories


def test_eligibility_follows_status_and_seals(session):
    active = factories.make_alliance(session)
    dormant = factories.make_alliance(session, status=AllianceStatus.dormant)
    dissolved = factories.make_alliance(session, status=AllianceStatus.dissolved)
    holder = factories.make_alliance(session)
    factories.give_seal(session, holder)
    withdrawn = factories.make_alliance(session)
    factories.give_seal(session, withdrawn, AwardStatus.withdrawn)
    mine = {a.id for a in (active, dormant, dissolved, holder, withdrawn)}

    listed = {a.id for a in session.exec(
        eligible_alliances_query().where(col(Alliance.id).in_(mine))).all()}

    assert listed == {active.id, dormant.id, withdrawn.id}
    assert eligible_among(session, mine) == listed
    assert [is_eligible(session, a.id) for a in (active, dormant, dissolved, holder, withdrawn)] == [
        True, True, False, False, True]


def test_unknown_alliance_is_not_eligible(session):
    assert is_eligible(session, 987654) is False
    assert eligible_among(session, set()) == set()


def test_a_seal_in_any_cycle_counts(session):
    holder = factories.make_alliance(session)
    factories.give_seal(session, holder)
    factories.give_seal(session, holder, AwardStatus.withdrawn)  # a withdrawn one elsewhere does not undo the first
    assert is_eligible(session, holder.id) is False
