"""A cycle's questionnaire: read, replace, change single questions, copy from an earlier cycle,
and preview the activity score of given answers.

The questionnaire can change only while its cycle is a draft (any change later is 409
``questionnaire_frozen``). Scoring, weights and option points are the Servicebüro's: other
callers see the questions without them. ETags are digests of the stored content, so a PUT or
PATCH with If-Match fails with 412 when someone else changed the questionnaire meanwhile.
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlmodel import Session, col, select

from app.auth.principal import Principal
from app.core.errors import NotFound, RuleViolation, field_error
from app.core.etags import check_if_match_etag
from app.cycles import rules as cycle_rules
from app.cycles import service as cycles
from app.cycles.models import AwardCycle, CycleStatus
from app.questionnaire import rules as scoring
from app.questionnaire.exceptions import (
    QuestionKeyTaken,
    QuestionnaireFrozen,
    QuestionnaireNotEmpty,
    QuestionNotFound,
)
from app.questionnaire.models import Question
from app.questionnaire.schemas import (
    MAX_QUESTIONS,
    GroupSummary,
    OptionRead,
    QuestionIn,
    QuestionnaireIn,
    QuestionnaireRead,
    QuestionRead,
    QuestionUpdate,
    ScoreBreakdownRow,
    ScorePreviewIn,
    ScorePreviewRead,
    ScoringRead,
)

_CONTENT_FIELDS = ("key", "text", "help_text", "type", "required", "options", "scoring", "weight",
                   "criterion_group")


# --- reading ----------------------------------------------------------------------------------

def questions_of(session: Session, cycle_id: int) -> list[Question]:
    """The cycle's questions in questionnaire order (for scoring and answer checks)."""
    return list(session.exec(
        select(Question).where(Question.cycle_id == cycle_id)
        .order_by(col(Question.position), col(Question.id))
    ).all())


def _content(question: Question) -> dict[str, Any]:
    return {name: getattr(question, name) for name in _CONTENT_FIELDS}


def _digest(document: Any) -> str:
    raw = json.dumps(document, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()[:20]


def questionnaire_etag(cycle: AwardCycle, questions: Sequence[Question]) -> str:
    return f'"questionnaire-{cycle.id}-{_digest([_content(q) for q in questions])}"'


def question_etag(question: Question) -> str:
    return f'"question-{question.id}-{_digest(_content(question))}"'


def _weighted_max(question: Question) -> float | None:
    best = scoring.max_points(question)
    return None if best is None else scoring.round2(best * max(0.0, question.weight))


def _scoring_read(stored: Mapping[str, Any]) -> ScoringRead:
    """Tolerates rows written before the checks (no kind, an unknown kind, stray fields)."""
    kind = stored.get("kind")
    return ScoringRead(
        kind=kind if kind in scoring.SCORING_KINDS else "none",
        **{name: stored.get(name) for name in scoring.SCORING_FIELDS},
    )


def to_question_read(question: Question, *, with_scoring: bool) -> QuestionRead:
    return QuestionRead(
        key=question.key, position=question.position, text=question.text,
        help_text=question.help_text, type=question.type, required=question.required,
        criterion_group=question.criterion_group,
        options=[OptionRead(value=o["value"], label=o["label"],
                            points=o.get("points", 0) if with_scoring else None)
                 for o in question.options],
        scoring=_scoring_read(question.scoring) if with_scoring else None,
        weight=question.weight if with_scoring else None,
        max_points=_weighted_max(question) if with_scoring else None,
    )


def _groups(questions: Sequence[Question], with_scoring: bool) -> list[GroupSummary]:
    order: dict[str | None, list[Question]] = {}
    for question in questions:
        order.setdefault(question.criterion_group, []).append(question)
    return [
        GroupSummary(criterion_group=group, question_count=len(members),
                     max_score=scoring.max_score(members) if with_scoring else None)
        for group, members in order.items()
    ]


def _questionnaire_read(
    cycle: AwardCycle, questions: Sequence[Question], *, with_scoring: bool,
) -> tuple[QuestionnaireRead, str]:
    assert cycle.id is not None
    read = QuestionnaireRead(
        cycle_id=cycle.id, cycle_key=cycle.key, cycle_slug=cycle.slug,
        frozen=cycle_rules.questionnaire_frozen(cycle.status), scoring_visible=with_scoring,
        question_count=len(questions),
        max_score=scoring.max_score(questions) if with_scoring else None,
        groups=_groups(questions, with_scoring),
        questions=[to_question_read(q, with_scoring=with_scoring) for q in questions],
    )
    return read, questionnaire_etag(cycle, questions)


def read_questionnaire(
    session: Session, ref: str, principal: Principal,
) -> tuple[QuestionnaireRead, str]:
    cycle = cycles.get_cycle(session, ref)
    assert cycle.id is not None
    return _questionnaire_read(cycle, questions_of(session, cycle.id),
                               with_scoring=principal.is_admin)


def _find(questions: Sequence[Question], key: str) -> Question:
    for question in questions:
        if question.key == key:
            return question
    raise QuestionNotFound(f"The questionnaire has no question {key!r}.")


def read_question(
    session: Session, ref: str, key: str, principal: Principal,
) -> tuple[QuestionRead, str]:
    cycle = cycles.get_cycle(session, ref)
    assert cycle.id is not None
    question = _find(questions_of(session, cycle.id), key)
    return to_question_read(question, with_scoring=principal.is_admin), question_etag(question)


# --- writing ----------------------------------------------------------------------------------

def _editable_cycle(session: Session, ref: str) -> AwardCycle:
    cycle = cycles.get_cycle(session, ref)
    if cycle_rules.questionnaire_frozen(cycle.status):
        raise QuestionnaireFrozen(
            f"The cycle is {CycleStatus(cycle.status).value}: its questionnaire can change only "
            "while the cycle is a draft.",
        )
    return cycle


def _stored_scoring(scoring_in: Mapping[str, Any]) -> dict[str, Any]:
    """Keep only the fields the kind uses (check_question has refused any other)."""
    kind = scoring_in.get("kind", "none")
    return {"kind": kind, **{name: scoring_in[name] for name in scoring.KIND_FIELDS.get(kind, ())
                             if scoring_in.get(name) is not None}}


def _stored(spec: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "key": spec["key"], "text": spec["text"], "help_text": spec.get("help_text"),
        "type": spec["type"], "required": spec.get("required", False),
        "options": [{"value": o["value"], "label": o["label"], "points": o.get("points", 0)}
                    for o in spec.get("options") or []],
        "scoring": _stored_scoring(spec.get("scoring") or {}),
        "weight": spec.get("weight", 1.0), "criterion_group": spec.get("criterion_group"),
    }


def _assign(question: Question, values: Mapping[str, Any]) -> None:
    for name, value in values.items():
        if getattr(question, name) != value:
            # JSON columns: a new list or dict, never the same object changed in place.
            setattr(question, name, list(value) if isinstance(value, list)
                    else dict(value) if isinstance(value, dict) else value)


def _write_all(session: Session, cycle: AwardCycle, specs: Sequence[Mapping[str, Any]]) -> list[Question]:
    """Make the cycle's questionnaire exactly ``specs`` (in order). Questions keep their row when
    their key stays; the others are removed. Flushes only."""
    assert cycle.id is not None
    existing = {q.key: q for q in questions_of(session, cycle.id)}
    result = []
    for position, spec in enumerate(specs):
        values = {**_stored(spec), "position": position}
        question = existing.pop(values["key"], None)
        if question is None:
            question = Question(cycle_id=cycle.id, **values)
            session.add(question)
        else:
            _assign(question, values)
        result.append(question)
    for leftover in existing.values():
        session.delete(leftover)
    session.flush()
    return result


def _refuse(errors: list[dict[str, Any]]) -> None:
    if errors:
        raise RuleViolation(f"{len(errors)} problem(s) in the questionnaire.", errors=errors)


def replace_questionnaire(
    session: Session, ref: str, data: QuestionnaireIn, if_match: str | None,
) -> tuple[QuestionnaireRead, str]:
    cycle = _editable_cycle(session, ref)
    assert cycle.id is not None
    check_if_match_etag(if_match, questionnaire_etag(cycle, questions_of(session, cycle.id)))
    specs = [q.model_dump(mode="json") for q in data.questions]
    _refuse(scoring.check_questionnaire(specs, ("body", "questions")))
    questions = _write_all(session, cycle, specs)
    session.commit()
    return _questionnaire_read(cycle, questions, with_scoring=True)


def add_question(
    session: Session, ref: str, data: QuestionIn, if_match: str | None,
) -> tuple[QuestionRead, str]:
    """Append one question at the end of the questionnaire."""
    cycle = _editable_cycle(session, ref)
    assert cycle.id is not None
    current = questions_of(session, cycle.id)
    check_if_match_etag(if_match, questionnaire_etag(cycle, current))
    spec = data.model_dump(mode="json")
    _refuse(scoring.check_question(spec, ("body",)))
    if any(q.key == data.key for q in current):
        raise QuestionKeyTaken(f"The questionnaire has a question {data.key!r} already.",
                               errors=[field_error(["body", "key"], "already used", "taken")])
    if len(current) >= MAX_QUESTIONS:
        raise RuleViolation(f"A questionnaire has at most {MAX_QUESTIONS} questions.",
                            errors=[field_error(["body"], "the questionnaire is full", "too_long")])
    question = Question(cycle_id=cycle.id, **_stored(spec),
                        position=max((q.position for q in current), default=-1) + 1)
    session.add(question)
    session.commit()
    return to_question_read(question, with_scoring=True), question_etag(question)


def _specs(questions: Sequence[Question]) -> list[dict[str, Any]]:
    return [_content(q) for q in questions]


def update_question(
    session: Session, ref: str, key: str, data: QuestionUpdate, if_match: str | None,
) -> tuple[QuestionRead, str]:
    cycle = _editable_cycle(session, ref)
    assert cycle.id is not None
    current = questions_of(session, cycle.id)
    question = _find(current, key)
    check_if_match_etag(if_match, question_etag(question))
    changes = data.model_dump(exclude_unset=True, mode="json")
    for name in ("key", "text", "type", "required", "options", "scoring", "weight", "position"):
        if name in changes and changes[name] is None:
            raise RuleViolation(f"{name} cannot be null.",
                                errors=[field_error(["body", name], "cannot be null", "not_null")])
    position = changes.pop("position", None)
    merged = {**_content(question), **changes}
    _refuse(scoring.check_question(merged, ("body",)))
    if merged["key"] != key and any(q.key == merged["key"] for q in current):
        raise QuestionKeyTaken(f"The questionnaire has a question {merged['key']!r} already.",
                               errors=[field_error(["body", "key"], "already used", "taken")])
    _assign(question, _stored(merged))
    if position is not None:
        order = [q for q in current if q is not question]
        order.insert(min(position, len(order)), question)
        for index, item in enumerate(order):
            if item.position != index:
                item.position = index
    session.commit()
    return to_question_read(question, with_scoring=True), question_etag(question)


def delete_question(session: Session, ref: str, key: str, if_match: str | None) -> None:
    cycle = _editable_cycle(session, ref)
    assert cycle.id is not None
    current = questions_of(session, cycle.id)
    question = _find(current, key)
    check_if_match_etag(if_match, question_etag(question))
    session.delete(question)
    for index, item in enumerate(q for q in current if q is not question):
        if item.position != index:
            item.position = index
    session.commit()


def copy_questionnaire(
    session: Session, ref: str, source_ref: str, replace: bool, if_match: str | None,
) -> tuple[QuestionnaireRead, str]:
    """Copy another cycle's questionnaire (questions, options, scoring, weights) into this
    draft cycle. A cycle with questions keeps them unless ``replace`` is set."""
    cycle = _editable_cycle(session, ref)
    assert cycle.id is not None
    current = questions_of(session, cycle.id)
    check_if_match_etag(if_match, questionnaire_etag(cycle, current))
    try:
        source = cycles.get_cycle(session, source_ref)
    except NotFound as exc:
        raise RuleViolation(f"No award cycle {source_ref!r} to copy from.", errors=[
            field_error(["query", "from"], "no such cycle", "not_found")]) from exc
    assert source.id is not None
    if source.id == cycle.id:
        raise RuleViolation("A questionnaire cannot be copied onto itself.", errors=[
            field_error(["query", "from"], "is the target cycle itself", "same_cycle")])
    source_questions = questions_of(session, source.id)
    if not source_questions:
        raise RuleViolation(f"Cycle {source.key} has no questions to copy.", errors=[
            field_error(["query", "from"], "has no questions", "questionnaire_empty")])
    if current and not replace:
        raise QuestionnaireNotEmpty(
            f"Cycle {cycle.key} has {len(current)} question(s); pass replace=true to overwrite them.",
        )
    questions = _write_all(session, cycle, _specs(source_questions))
    session.commit()
    return _questionnaire_read(cycle, questions, with_scoring=True)


# --- scoring ----------------------------------------------------------------------------------

def preview_score(session: Session, ref: str, data: ScorePreviewIn) -> ScorePreviewRead:
    """Score the given answers as a response would be scored, without storing anything."""
    cycle = cycles.get_cycle(session, ref)
    assert cycle.id is not None
    questions = questions_of(session, cycle.id)
    errors = scoring.check_answers(questions, data.answers, complete=False,
                                   loc_prefix=("body", "answers"))
    if errors:
        raise RuleViolation(f"{len(errors)} answer(s) do not fit the questionnaire.", errors=errors)
    result = scoring.score(questions, data.answers)
    return ScorePreviewRead(
        total=result.total, max_total=result.max_total, group_scores=result.group_scores(),
        breakdown=[ScoreBreakdownRow(**row) for row in result.breakdown],
        missing_required=scoring.missing_required(questions, data.answers),
    )
