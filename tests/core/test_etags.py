"""The ETag rule (core/etags.py): a reply's ETag is the row tag plus a digest of its body;
If-Match compares the row tag only, If-None-Match the whole tag."""

import hashlib

import pytest
from pydantic import BaseModel

from app.core import etags
from app.core.errors import PreconditionFailed
from app.core.etags import (
    check_if_match_etag,
    etag_for,
    etag_matches,
    representation_etag,
)


class Body(BaseModel):
    count: int
    client_secret: str | None = None


ROW = etag_for("event", 6, 1)
TAG = representation_etag(ROW, Body(count=0))


def test_the_tag_is_the_row_tag_and_a_digest_of_the_body():
    assert ROW == '"event-6-v1"'
    assert TAG.startswith('"event-6-v1.') and TAG.endswith('"')
    assert representation_etag(ROW, Body(count=1)) != TAG
    assert representation_etag(ROW, Body(count=0)) == TAG


def test_a_one_time_secret_is_not_digested():
    assert representation_etag(ROW, Body(count=0, client_secret="geheim")) == TAG


@pytest.mark.parametrize("if_match", [
    None, ROW, TAG, f"W/{TAG}", f'"other", {TAG}', "*",
    representation_etag(ROW, Body(count=5)),  # a count moved since the read: the row did not
])
def test_if_match_passes_on_the_current_row_tag(if_match):
    check_if_match_etag(if_match, ROW)


@pytest.mark.parametrize("if_match", [
    '"event-6-v2"', '"event-6-v10.abc"', '"event-60-v1.abc"', '"event-6-v1."', '"event-6-v1',
    '"delegate-6-v1.abc"', "",
])
def test_if_match_refuses_another_version(if_match):
    with pytest.raises(PreconditionFailed) as refused:
        check_if_match_etag(if_match, ROW)
    assert refused.value.extra["current_etag"] == ROW


def test_if_none_match_compares_the_whole_tag():
    assert etag_matches(TAG, TAG) and etag_matches(f'"x", W/{TAG}', TAG)
    assert not etag_matches(ROW, TAG)
    assert not etag_matches(representation_etag(ROW, Body(count=1)), TAG)


def test_the_digest_is_taken_from_the_bytes_the_reply_sends(client, admin, alliance):
    got = client.get(f"/api/v1/alliances/{alliance.id}", headers=admin)
    assert got.status_code == 200, got.text
    digest = hashlib.blake2b(got.content, digest_size=8).hexdigest()
    assert got.headers["etag"] == f'"alliance-{alliance.id}-v{got.json()["version"]}.{digest}"'


def test_a_write_reply_and_the_next_read_carry_the_same_tag(client, admin, alliance):
    path = f"/api/v1/alliances/{alliance.id}"
    written = client.patch(path, headers=admin, json={"municipality": "Neustadt"})
    assert written.status_code == 200, written.text
    read = client.get(path, headers=admin)
    assert read.headers["etag"] == written.headers["etag"]
    assert client.get(path, headers={**admin, "If-None-Match": written.headers["etag"]}).status_code == 304
    # Another edit: other bytes, another tag; the old one no longer answers 304.
    other = client.patch(path, headers=admin, json={"municipality": "Altstadt"})
    assert other.headers["etag"] != written.headers["etag"]
    assert client.get(path, headers={**admin, "If-None-Match": written.headers["etag"]}).status_code == 200


def test_a_refused_request_carries_no_tag(client, admin, alliance):
    stale = client.patch(f"/api/v1/alliances/{alliance.id}", headers={**admin, "If-Match": '"alliance-1-v99"'},
                         json={"municipality": "Neustadt"})
    assert stale.status_code == 412
    assert "etag" not in stale.headers


def test_a_read_is_serialized_once_not_again_for_its_digest(client, admin, alliance, monkeypatch):
    def second_serialization(_body):
        raise AssertionError("the digest must come from the bytes the reply sends")

    monkeypatch.setattr(etags, "representation_digest", second_serialization)
    got = client.get(f"/api/v1/alliances/{alliance.id}", headers=admin)
    assert got.status_code == 200, got.text
    assert got.headers["etag"].startswith(f'"alliance-{alliance.id}-v')


def test_a_reply_with_a_one_time_secret_is_digested_without_it(client, admin, monkeypatch):
    digested = []
    original = etags.representation_digest
    monkeypatch.setattr(etags, "representation_digest",
                        lambda body: digested.append(body) or original(body))
    created = client.post("/api/v1/clients", headers=admin,
                          json={"name": "Partner", "scopes": ["alliances:read"]})
    assert created.status_code == 201, created.text
    assert len(digested) == 1 and digested[0].client_secret == created.json()["client_secret"]
    secret_digest = hashlib.blake2b(created.content, digest_size=8).hexdigest()
    assert secret_digest not in created.headers["etag"]
