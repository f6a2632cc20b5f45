"""Mounts every domain router under /api/v1."""

from typing import get_args

from fastapi import Depends, FastAPI

from app.alliances.router import public_router as public_alliances_router
from app.alliances.router import router as alliances_router
from app.alliances.schemas import StateCode
from app.alliances.service import SortField as AllianceSort
from app.audit.router import router as audit_router
from app.auth.deps import api_request_checks
from app.auth.router import clients_router, users_router
from app.auth.router import router as auth_router
from app.auth.schemas import PatScope
from app.auth.scopes import SCOPES
from app.awards.router import public_router as public_seals_router
from app.awards.router import router as awards_router
from app.core.openapi import NamedShapes
from app.core.routing import ApiRouter
from app.cycles.router import admin_router as cycles_admin_router
from app.cycles.router import router as cycles_router
from app.evaluation import rules as criterion_rules
from app.evaluation import schemas as evaluation_schemas
from app.evaluation.router import router as evaluation_router
from app.events.calendar_router import events_router as calendar_events_router
from app.events.calendar_router import feeds_router as calendar_feeds_router
from app.events.calendar_router import public_router as public_calendar_router
from app.events.participation_router import router as events_participation_router
from app.events.router import public_router as public_events_router
from app.events.router import router as events_router
from app.faq.router import public_router as public_faq_router
from app.faq.router import router as faq_router
from app.inquiries.router import router as inquiries_router
from app.notices.router import router as notices_router
from app.privacy.router import router as privacy_router
from app.privacy.schemas import PersonKind
from app.questionnaire import router as questionnaire_router
from app.questionnaire.schemas import ScoringKind
from app.reports.router import router as reports_router
from app.reports.schemas import CsvSeparator
from app.surveys.router import router as responses_router
from app.surveys.schemas import BatchItem
from app.webhooks.router import router as webhooks_router
from app.workgroups.router import public_router as public_workgroups_router
from app.workgroups.router import router as workgroups_router

API_PREFIX = "/api/v1"
# Every operation under /api/v1, in this order (the first route that matches a path wins).
API_ROUTERS: list[ApiRouter] = [
    auth_router,
    users_router,
    clients_router,
    alliances_router,
    public_alliances_router,
    cycles_router,
    cycles_admin_router,
    questionnaire_router.router,
    questionnaire_router.admin_router,
    questionnaire_router.admin_actions,
    # Before responses and evaluations: their /{alliance_id} routes would take export.csv.
    reports_router,
    responses_router,
    evaluation_router,
    awards_router,
    public_seals_router,
    notices_router,
    audit_router,
    privacy_router,
    inquiries_router,
    events_router,
    public_events_router,
    calendar_events_router,
    calendar_feeds_router,
    public_calendar_router,
    faq_router,
    public_faq_router,
    events_participation_router,
    workgroups_router,
    public_workgroups_router,
    webhooks_router,
]


def include_api(app: FastAPI) -> None:
    """Each domain router straight into the app, under the prefix and behind the checks every
    /api/v1 call passes (``api_request_checks``).

    Not through one umbrella router: FastAPI matches a request by walking each level of
    included routers twice (to choose, then to handle), re-reading every level's route table
    version each time; one level less cut 5–10 % of a GET's CPU (docs/PERFORMANCE.md). The
    prefix is given here, not on the routers: FastAPI checks the paths of a router included
    without a prefix by building every route's effective state (~15 % of `import app.main`).
    Each router learns the prefix too, so it can turn away paths none of its routes match
    (app/core/routing.py)."""
    for router in API_ROUTERS:
        router.serve_under(API_PREFIX)
        app.include_router(router, prefix=API_PREFIX, dependencies=[Depends(api_request_checks)])


TAGS = [
    {"name": "auth", "description": "Tokens (password and client credentials grants), refresh, "
     "logout, invitations, the current caller."},
    {"name": "users", "description": "Servicebüro: people and their roles."},
    {"name": "clients", "description": "Servicebüro: partner systems (machine clients)."},
    {"name": "alliances", "description": "Lokale Bündnisse: records, partners, contact persons, import."},
    {"name": "public", "description": "No login: the Bündnisfinder, the seal registry, the "
     "Zukunftsthemen and the public events calendar."},
    {"name": "cycles", "description": "Award cycles (\"2024/25\") and their steps draft → "
     "survey_open → survey_closed → evaluated → awarded → archived; each cycle's questionnaire "
     "with scoring and weights (frozen once the survey opens) and a score preview."},
    {"name": "surveys", "description": "Bündnisumfrage responses: alliances save drafts and "
     "submit within the survey window, the Servicebüro enters phone interviews, reopens and "
     "imports CSV/XLSX, partner systems push in idempotent batches; answer history and the "
     "activity score."},
    {"name": "audit", "description": "Servicebüro: the append-only audit trail of every write."},
    {"name": "privacy", "description": "GDPR: export and erasure of personal data."},
    {"name": "evaluation", "description": "Servicebüro: seal criteria as data, their preview, "
     "evaluation runs and the shortlist; alliances read their own result with the reasons."},
    {"name": "notices", "description": "Bündnisumfrage notices: e-mail to every eligible "
     "alliance, delivery status, who is still missing; alliances see and re-request their own."},
    {"name": "awards", "description": "The seal „Ausgezeichnetes Bündnis“: confirming awards "
     "from the shortlist, adding or withdrawing one, importing past cycles, certificates."},
    {"name": "reports", "description": "Servicebüro: a cycle's statistics (eligible, reached, "
     "answered, meeting the criteria, awarded; by Land and by mode) and the CSV/XLSX exports "
     "of its responses and evaluation results, streamed and audited."},
    {"name": "inquiries", "description": "Anfragen an das Servicebüro: anyone (signed in or "
     "not) files a ticket such as \"we got no survey notice\"; the Servicebüro answers in a "
     "thread, links it to an alliance and a cycle and sees that alliance's notices; e-mail "
     "confirmations and answers through the outbox."},
    {"name": "events", "description": "Projekt Zukunft: the four Zukunftsthemen, events "
     "(virtual exchanges, regional Zukunftswerkstätten, the Bündnisdialog, the seal ceremony) "
     "from draft to published or cancelled, who is invited (by the rule of step 5 or by hand), "
     "and the delegates alliances register, with e-mail confirmations and an audited CSV "
     "export for the Servicebüro."},
    {"name": "faq", "description": "Servicebüro: the FAQ on Projekt Zukunft, the survey, the "
     "seal criteria and the events (German Markdown), drafts and publishing; everyone reads "
     "the published entries under /public/faq."},
    {"name": "workgroups", "description": "Arbeitsrunden of Projekt Zukunft: one per "
     "Zukunftsthema and cycle; who may join (the rule of step 5, or the Servicebüro with a "
     "reason), requests, invitations by e-mail, members and their shared contacts, and the "
     "results, drafted by members and published by the Servicebüro."},
    {"name": "webhooks", "description": "Servicebüro: webhook endpoints that tell partner "
     "systems (or the Servicebüro's own) about changes, signed per Standard Webhooks; the "
     "delivery log, redelivery and a test event. The events and their payloads are in the "
     "document's `webhooks` section."},
    {"name": "health", "description": "Liveness and readiness probes."},
]


# Reused shapes the spec names once (app.core.openapi.name_shapes); tests/test_named_shapes.py
# checks they exist and that no inline enum is repeated.
NAMED_SHAPES = NamedShapes(
    enums={
        "LandCode": (get_args(StateCode), "ISO 3166-2 code of a German Land (DE-BY, DE-NW …)"),
        "ClientScope": (tuple(sorted(SCOPES)), "A scope a machine client can hold: "
                        + "; ".join(f"`{name}`: {text}" for name, text in sorted(SCOPES.items()))),
        "PatScope": (get_args(PatScope), "A scope of a personal access token"),
        "PartnerSource": (get_args(criterion_rules.PartnerSource),
                          "Where a partner-count criterion reads the partners"),
        "AnswerOperator": (get_args(criterion_rules.AnswerOp),
                           "How an answer criterion compares the answer with its value"),
        "ScoringKind": (get_args(ScoringKind), "How a question earns points"),
        "CsvSeparator": (get_args(CsvSeparator), "The CSV field separator (`;` for German Excel)"),
        "AllianceSort": (get_args(AllianceSort), "Sort order of alliance listings (`-`: descending)"),
        "PersonKind": (get_args(PersonKind), "Whose personal data"),
    },
    unions={
        "CriterionRule": (frozenset(model.__name__ for model in get_args(get_args(
            criterion_rules.Rule)[0])), "A criterion's rule as data, told apart by `kind`; "
            "`all_of`/`any_of` nest further rules"),
        "CriterionRuleRead": (frozenset(model.__name__ for model in get_args(get_args(
            evaluation_schemas.RuleRead)[0])), "A criterion's rule as the server sends it: "
            "the request's shapes with every field present"),
    },
    models={"BatchItem": BatchItem},
)
