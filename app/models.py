"""Every table class, imported in one place for Alembic and relationship resolution."""

from app.alliances.models import Alliance, AllianceContact, AlliancePartner
from app.auth.models import ApiClient, ApiClientAlliance, AuthSession, RefreshToken, User
from app.awards.models import Award
from app.core.idempotency_models import IdempotencyRecord
from app.cycles.models import AwardCycle
from app.evaluation.models import Evaluation, EvaluationRun, SealCriterion
from app.mail.models import OutboxMessage
from app.notices.models import SurveyNotice
from app.surveys.models import Question, ResponseRevision, SurveyResponse

__all__ = [
    "Alliance", "AllianceContact", "AlliancePartner", "ApiClient", "ApiClientAlliance",
    "AuthSession", "Award", "AwardCycle", "Evaluation", "EvaluationRun", "IdempotencyRecord",
    "OutboxMessage", "Question", "RefreshToken", "ResponseRevision", "SealCriterion",
    "SurveyNotice", "SurveyResponse", "User",
]
