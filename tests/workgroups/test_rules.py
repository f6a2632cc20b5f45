"""The pure membership rules, table-driven."""

import pytest

from app.workgroups import rules


@pytest.mark.parametrize(("action", "status", "target"), [
    ("request", None, "requested"), ("request", "left", "requested"),
    ("request", "declined", "requested"), ("request", "active", None),
    ("request", "requested", None), ("request", "invited", None),
    ("accept_invitation", "invited", "active"), ("accept_invitation", None, None),
    ("accept", "requested", "active"), ("accept", "invited", None), ("accept", "left", None),
    ("decline", "requested", "declined"), ("decline", "active", None),
    ("leave", "active", "left"), ("leave", "requested", "left"), ("leave", "left", None),
    ("remove", "active", "left"), ("remove", "declined", None),
    ("add", None, "active"), ("add", "left", "active"), ("add", "active", None),
    ("invite", None, "invited"), ("invite", "left", None), ("nonsense", None, None),
])
def test_steps(action, status, target):
    assert rules.target_of(action, status) == target


@pytest.mark.parametrize(("workgroup", "alliance", "eligible", "refused"), [
    ("active", "active", True, False), ("planned", "active", True, False),
    ("closed", "active", True, True), ("active", "dormant", True, True),
    ("active", "active", False, True),
])
def test_join_refusal(workgroup, alliance, eligible, refused):
    assert (rules.join_refusal(workgroup, alliance, eligible) is not None) is refused


@pytest.mark.parametrize(("eligible", "reason", "problem"), [
    (True, None, None), (False, None, "reason"), (False, "  ", "reason"),
    (False, "Modellprojekt", None),
])
def test_admission(eligible, reason, problem):
    assert rules.admission_problem("active", "active", eligible, reason) == problem
    assert rules.admission_problem("closed", "active", eligible, reason) == "closed"
    assert rules.admission_problem("active", "dissolved", eligible, reason) == "inactive"
