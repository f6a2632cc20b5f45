"""Links for people: to the SPA when BUENDNIS_FRONTEND_BASE_URL is set, else to this API."""

import pytest
from pydantic import ValidationError
from sqlmodel import col, select

from app.core import links
from app.core.config import Settings, get_settings
from app.mail.models import OutboxMessage
from app.notices.models import SurveyNotice
from tests import factories


@pytest.fixture
def frontend(monkeypatch):
    def set_base(value):
        monkeypatch.setattr(get_settings(), "frontend_base_url", value)
    return set_base


@pytest.fixture(autouse=True)
def _api_base(monkeypatch):
    monkeypatch.setattr(get_settings(), "public_base_url", "https://api.example.org/")
    monkeypatch.setattr(get_settings(), "frontend_base_url", None)


def test_links_lead_to_the_api_without_a_frontend():
    assert links.seal_verification_url("ABCD-EFGH-JKMN-PQRS") == (
        "https://api.example.org/api/v1/public/seals/verify/ABCD-EFGH-JKMN-PQRS")
    assert links.survey_url("2024-25") == "https://api.example.org/umfrage/2024-25"


@pytest.mark.parametrize("base", ["https://buendnisportal.de", "https://buendnisportal.de/"])
def test_links_lead_to_the_spa_routes_with_a_frontend(frontend, base):
    frontend(base)
    assert links.seal_verification_url("ABCD-EFGH-JKMN-PQRS") == (
        "https://buendnisportal.de/siegel/pruefen/ABCD-EFGH-JKMN-PQRS")
    assert links.survey_url("2024-25") == "https://buendnisportal.de/umfrage/2024-25"


def test_path_parts_are_quoted(frontend):
    frontend("https://buendnisportal.de")
    assert links.seal_verification_url("A/B C") == "https://buendnisportal.de/siegel/pruefen/A%2FB%20C"


@pytest.mark.parametrize("bad", ["ftp://x.example.org", "buendnisportal.de",
                                 "https://x.example.org/?a=1", "https://x.example.org/#top",
                                 "https://" + "x" * 300])
def test_frontend_base_url_must_be_a_plain_http_url(bad):
    with pytest.raises(ValidationError):
        Settings(frontend_base_url=bad)


def test_award_and_certificate_link_follow_the_frontend(client, session, admin, frontend):
    frontend("https://buendnisportal.de")
    award = factories.give_seal(session, factories.make_alliance(session))
    body = client.get(f"/api/v1/awards/{award.id}", headers=admin).json()
    assert body["verification_url"] == (
        f"https://buendnisportal.de/siegel/pruefen/{award.verification_code}")


def test_notice_mail_links_the_spa_survey(client, session, admin, frontend):
    frontend("https://buendnisportal.de")
    cycle = factories.make_cycle(session)
    alliance = factories.make_alliance(session, contacts=[
        {"name": "Erika Muster", "email": "erika@fuerth.example.org"}])
    response = client.post(f"/api/v1/cycles/{cycle.slug}/notices", headers=admin,
                           json={"alliance_ids": [alliance.id]})
    assert response.status_code == 202, response.text
    notice = session.exec(select(SurveyNotice).where(SurveyNotice.alliance_id == alliance.id)
                          .order_by(col(SurveyNotice.id))).first()
    assert notice is not None
    message = session.get(OutboxMessage, notice.outbox_message_id)
    assert message is not None
    assert f"https://buendnisportal.de/umfrage/{cycle.slug}" in message.body
    assert "api.example.org" not in message.body
