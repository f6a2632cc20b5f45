"""The ETag rule (core/etags.py): a reply's ETag is the row tag plus a digest of its body;
If-Match compares the row tag only, If-None-Match the whole tag."""

import pytest
from pydantic import BaseModel

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
