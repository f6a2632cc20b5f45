"""Links that reach people (the certificate's QR code, e-mails): the one place that builds them.

With ``BUENDNIS_FRONTEND_BASE_URL`` set, they point to the single-page app's routes, where
people read German pages; without it, to this API (``BUENDNIS_PUBLIC_BASE_URL``), whose seal
verification answers a browser with a German HTML page.
"""

from urllib.parse import quote

from app.core.config import get_settings

SPA_SEAL_VERIFICATION = "/siegel/pruefen/{code}"
SPA_SURVEY = "/umfrage/{slug}"
SPA_EVENT = "/veranstaltungen/{event_id}"
SPA_WORKGROUP = "/arbeitsrunden/{workgroup_id}"
API_SEAL_VERIFICATION = "/api/v1/public/seals/verify/{code}"


def _frontend() -> str | None:
    base = get_settings().frontend_base_url
    return base.rstrip("/") if base else None


def _api() -> str:
    return get_settings().public_base_url.rstrip("/")


def seal_verification_url(code: str) -> str:
    """Where the certificate's QR code sends a person to check the seal."""
    path_code = quote(code, safe="")
    frontend = _frontend()
    if frontend:
        return frontend + SPA_SEAL_VERIFICATION.format(code=path_code)
    return _api() + API_SEAL_VERIFICATION.format(code=path_code)


def survey_url(cycle_slug: str) -> str:
    """The survey of a cycle, as the notices and reminders link it."""
    return (_frontend() or _api()) + SPA_SURVEY.format(slug=quote(cycle_slug, safe=""))


def event_url(event_id: int) -> str:
    """An event's page, as invitation e-mails link it."""
    return (_frontend() or _api()) + SPA_EVENT.format(event_id=event_id)


def workgroup_url(workgroup_id: int) -> str:
    """A workgroup's page, as its invitation e-mails link it."""
    return (_frontend() or _api()) + SPA_WORKGROUP.format(workgroup_id=workgroup_id)
