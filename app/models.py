"""Every table class, imported in one place for Alembic and relationship resolution.

Importing the tables also installs the audit hook, so no write can escape the trail.
"""

from app.alliances.models import Alliance, AllianceContact, AlliancePartner
from app.audit.models import AuditEvent
from app.audit.recorder import install as install_audit_trail
from app.auth.models import (
    ApiClient,
    ApiClientAlliance,
    AuthSession,
    PersonalAccessToken,
    RefreshToken,
    User,
)
from app.awards.models import Award
from app.core.idempotency_models import IdempotencyRecord
from app.cycles.models import AwardCycle
from app.evaluation.models import Evaluation, EvaluationRun, SealCriterion
from app.events.calendar_models import CalendarFeed
from app.events.models import Event, EventDelegate, EventInvitation, EventTopic, FutureTopic
from app.faq.models import FaqEntry
from app.inquiries.models import Inquiry, InquiryMessage
from app.mail.models import OutboxMessage
from app.notices.models import SurveyNotice
from app.questionnaire.models import Question
from app.surveys.models import ResponseRevision, SurveyResponse
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from app.workgroups.models import (
    Workgroup,
    WorkgroupMember,
    WorkgroupResult,
    WorkgroupResultAuthor,
)

__all__ = [
    "Alliance",
    "AllianceContact",
    "AlliancePartner",
    "ApiClient",
    "ApiClientAlliance",
    "AuditEvent",
    "AuthSession",
    "Award",
    "AwardCycle",
    "CalendarFeed",
    "Evaluation",
    "EvaluationRun",
    "Event",
    "EventDelegate",
    "EventInvitation",
    "EventTopic",
    "FaqEntry",
    "FutureTopic",
    "IdempotencyRecord",
    "Inquiry",
    "InquiryMessage",
    "OutboxMessage",
    "PersonalAccessToken",
    "Question",
    "RefreshToken",
    "ResponseRevision",
    "SealCriterion",
    "SurveyNotice",
    "SurveyResponse",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
    "Workgroup",
    "WorkgroupMember",
    "WorkgroupResult",
    "WorkgroupResultAuthor",
]

install_audit_trail()
