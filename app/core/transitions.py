"""A status machine as data: named actions, the statuses each may start from, and where it
leads. Domains declare their table (cycles, events, …) and ask it two questions; the rules
themselves stay in each domain's ``rules.py``. Pure, no database."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

S = TypeVar("S", bound=StrEnum)


@dataclass(frozen=True)
class Transition(Generic[S]):
    action: str
    # Plain strings are allowed beside the enum's members for pseudo-statuses such as a
    # membership that has no row yet.
    sources: frozenset[str]
    target: S


class StateMachine(Generic[S]):
    def __init__(self, *transitions: Transition[S]) -> None:
        self.transitions: dict[str, Transition[S]] = {t.action: t for t in transitions}

    def allowed_actions(self, status: S | str) -> list[str]:
        """The actions possible from ``status``, in the order they were declared. ``status``
        may be the plain string read from the database."""
        return [t.action for t in self.transitions.values() if status in t.sources]

    def target_of(self, action: str, status: S | str) -> S | None:
        """Where ``action`` leads from ``status``; None when it is not allowed from there."""
        transition = self.transitions.get(action)
        if transition is None or status not in transition.sources:
            return None
        return transition.target
