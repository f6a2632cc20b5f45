"""What the cells of a response upload mean: its columns, and a cell's text as the answer type
of a question. The file itself is read by ``app.core.tabular``.
"""

from datetime import datetime
from typing import Any

from app.core.tabular import cell_boolean
from app.questionnaire.models import Question

MAX_FILE_ROWS = 2000
BASE_COLUMNS = ("alliance", "wants_future_project", "wants_seal", "submit", "reported_status",
                "wants_finder_listing", "ref")
BOOLEAN_COLUMNS = frozenset({"wants_future_project", "wants_seal", "submit", "wants_finder_listing"})


def _choice(question: Question, raw: str) -> str:
    for option in question.options:
        if raw in (str(option["value"]), str(option.get("label", ""))) or \
                raw.lower() == str(option.get("label", "")).lower():
            return str(option["value"])
    return raw  # check_answers names the allowed values


def cell_answer(question: Question, raw: str) -> Any:
    """A cell's text as the answer type of the question (None when empty)."""
    text = raw.strip()
    if text == "":
        return None
    if question.type == "boolean":
        return cell_boolean(text)
    if question.type == "integer":
        try:
            return int(text)
        except ValueError:
            raise ValueError("must be a whole number") from None
    if question.type == "single_choice":
        return _choice(question, text)
    if question.type == "multi_choice":
        return [_choice(question, part.strip()) for part in text.split("|") if part.strip()]
    if question.type == "date":
        for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
            try:
                return datetime.strptime(text, pattern).date().isoformat()
            except ValueError:
                continue
        raise ValueError("must be a date (YYYY-MM-DD or DD.MM.YYYY)")
    return text
