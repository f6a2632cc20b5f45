"""Errors of the questionnaire domain (rendered as RFC 9457 problems with these codes)."""

from app.core.errors import Conflict, NotFound


class QuestionNotFound(NotFound):
    code, title = "question_not_found", "Question not found"


class QuestionKeyTaken(Conflict):
    code, title = "question_key_taken", "The cycle has a question with this key"


class QuestionnaireNotEmpty(Conflict):
    code, title = "questionnaire_not_empty", "The cycle has questions already"


class QuestionnaireFrozen(Conflict):
    code, title = "questionnaire_frozen", "The questionnaire is frozen once the survey opens"
