"""The seal verification page: JSON for programs, a German HTML page for a browser, checked in
a real headless Chromium (Debian's) as a person would see it."""

import base64
import hashlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import date
from html.parser import HTMLParser

import pytest
import uvicorn

from app.awards import verification_page
from app.core.negotiation import media_quality, prefers_html
from app.cycles.models import CycleStatus
from tests import factories
from tests.utils.problems import assert_problem

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
CHROMIUM = "/usr/bin/chromium"


def seal(session, alliance):
    cycle = factories.make_cycle(session, status=CycleStatus.awarded,
                                 seal_title="Ausgezeichnetes Bündnis 2024/25",
                                 ceremony_on=date(2024, 11, 22), ceremony_place="Berlin")
    return factories.make_award(session, cycle, alliance)


@pytest.fixture
def award(session, alliance):
    return seal(session, alliance)


def url(code: str) -> str:
    return f"/api/v1/public/seals/verify/{code}"


# --- content negotiation --------------------------------------------------------------------


@pytest.mark.parametrize(("accept", "html"), [
    (None, False),
    ("", False),
    ("*/*", False),
    ("application/json", False),
    ("application/json, text/html;q=0.5", False),
    (BROWSER_ACCEPT, True),
    ("text/html", True),
    ("text/*", True),
    ("text/html;q=0.9, application/json;q=0.8", True),
    ("text/html;q=0", False),
    ("text/html;q=abc, application/json", False),
    ("application/json;q=0.5, text/*;q=0.6", True),
])
def test_a_browser_is_one_that_prefers_html(accept, html):
    assert prefers_html(accept) is html


def test_the_most_specific_range_counts():
    assert media_quality("text/*;q=0.2, text/html;q=0.7, */*;q=1", "text/html") == 0.7


# --- through the API --------------------------------------------------------------------------


def test_programs_keep_getting_json(client, award):
    for accept in (None, "application/json", "*/*"):
        headers = {"Accept": accept} if accept else {}
        response = client.get(url(award.verification_code), headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.json()["valid"] is True
        assert "Accept" in response.headers["vary"]


def test_a_browser_gets_a_german_page(client, alliance, award):
    response = client.get(url(award.verification_code), headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-language"] == "de"
    assert "Accept" in response.headers["vary"]
    assert response.headers["x-content-type-options"] == "nosniff"
    page = response.text
    assert '<html lang="de">' in page
    assert "Gültig: Dieses Bündnis trägt das Siegel." in page
    assert alliance.name in page and award.verification_code in page
    assert "22.11.2024" in page
    assert "<script" not in page


def test_the_csp_allows_exactly_the_page_stylesheet(client, award):
    response = client.get(url(award.verification_code), headers={"Accept": BROWSER_ACCEPT})
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    styles = re.findall(r"<style>(.*?)</style>", response.text, re.DOTALL)
    assert len(styles) == 1
    digest = base64.b64encode(hashlib.sha256(styles[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp


def test_values_are_escaped(client, session):
    hostile = factories.make_alliance(session, name='Bündnis <script>alert("x")</script> & Co')
    award = seal(session, hostile)
    page = client.get(url(award.verification_code), headers={"Accept": "text/html"}).text
    assert "<script>" not in page
    assert "Bündnis &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in page


def test_a_withdrawn_seal_page_says_so(client, admin, award):
    client.post(f"/api/v1/awards/{award.id}/withdraw", headers=admin, json={"reason": "Zurückgezogen"})
    page = client.get(url(award.verification_code), headers={"Accept": BROWSER_ACCEPT}).text
    assert "Nicht mehr gültig: Das Siegel wurde zurückgezogen." in page
    assert "Zurückgezogen am" in page


def test_an_unknown_code_page_is_a_404(client):
    response = client.get(url("AAAA-BBBB-CCCC-DDDD"), headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Unbekannter Prüfcode" in response.text and "AAAA-BBBB-CCCC-DDDD" in response.text
    # programs keep the problem document; bad input stays a problem for everyone
    assert_problem(client.get(url("AAAA-BBBB-CCCC-DDDD")), 404, "seal_not_found")
    assert_problem(client.get(url("X" * 41), headers={"Accept": BROWSER_ACCEPT}), 422)


def test_the_spec_documents_both_media_types(client):
    operation = client.get("/openapi.json").json()["paths"][
        "/api/v1/public/seals/verify/{code}"]["get"]
    assert set(operation["responses"]["200"]["content"]) == {"application/json", "text/html"}
    assert "text/html" in operation["responses"]["404"]["content"]


# --- in a real browser ------------------------------------------------------------------------


def _chromium() -> str:
    found = shutil.which("chromium") or (CHROMIUM if os.path.exists(CHROMIUM) else None)
    if found is None:
        message = "Chromium is not installed (apt-get install chromium; scripts/test.sh does)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The test's app (its database transaction included) on a real port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


class _Visible(HTMLParser):
    """What a person reads: the text outside head/style/script, and the page's outline."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = 0
        self.tags: list[str] = []
        self.text: list[str] = []
        self.current: list[str] = []
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.current.append(tag)
        if tag == "html":
            self.lang = dict(attrs).get("lang")
        if tag in ("head", "style", "script"):
            self.hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("head", "style", "script"):
            self.hidden -= 1
        if self.current and self.current[-1] == tag:
            self.current.pop()

    def handle_data(self, data: str) -> None:
        if not self.hidden and data.strip():
            self.text.append(" ".join(data.split()))


def _browse(address: str) -> _Visible:
    browser = _chromium()
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(  # noqa: S603 (a fixed binary and a local URL)
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             f"--user-data-dir={profile}", "--dump-dom", address],
            capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    page = _Visible()
    page.feed(done.stdout)
    return page


def test_a_person_sees_the_seal_in_chromium(live_server, session):
    alliance = factories.make_alliance(session, name='Bündnis <b>für</b> Familie & "Fürth"')
    award = seal(session, alliance)
    page = _browse(live_server + url(award.verification_code))
    text = " | ".join(page.text)
    assert page.lang == "de"
    assert "script" not in page.tags and "b" not in page.tags  # the name stayed text
    assert 'Siegelprüfung: Bündnis <b>für</b> Familie & "Fürth"' in text
    assert "Gültig: Dieses Bündnis trägt das Siegel." in text
    assert "Bündnis | " + alliance.name in text
    assert "Verliehen am | 22.11.2024" in text
    assert "Prüfcode | " + award.verification_code in text
    assert page.tags.count("h1") == 1 and "main" in page.tags


def test_a_person_sees_a_withdrawn_seal_in_chromium(live_server, session, admin, client, award):
    client.post(f"/api/v1/awards/{award.id}/withdraw", headers=admin, json={"reason": "Zurückgezogen"})
    text = " | ".join(_browse(live_server + url(award.verification_code)).text)
    assert "Nicht mehr gültig: Das Siegel wurde zurückgezogen." in text
    assert "Gültig: Dieses" not in text


def test_render_keeps_to_the_template():
    """The page is built only by render_*; a direct check that the markup is complete."""
    page = verification_page.render_unknown("<x>")
    assert page.startswith("<!DOCTYPE html>") and "&lt;x&gt;" in page and "<x>" not in page
