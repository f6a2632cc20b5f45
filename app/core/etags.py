"""ETags for single resources and the If-Match check for writes.

An ETag has two parts, ``"<resource>-<id>-v<version>.<digest>"``:

* the **row tag** ``"<resource>-<id>-v<version>"`` (a version column, ``updated_at`` or a content
  digest of what a write changes) is what If-Match protects: a write with an ETag whose row tag is
  still current goes through, so a client that read a resource and PATCHes it with that ETag
  succeeds while nobody edited the row, even if a count, a waiting position or a clock-driven flag
  in the reply has moved meanwhile;
* the **digest** covers the whole reply as this caller gets it, values computed from other rows,
  per caller or from the clock included, so If-None-Match answers 304 only while the body would
  be the same.

If-Match is optional (scripts may omit it); when sent it must carry the current row tag (with or
without a digest) or the write is refused with 412, so two editors in the SPA cannot overwrite
each other silently. The 412 names the current row tag.

A route sends an ETag only through the ``SetETag`` dependency; the spec documents ETag, 304 and
If-None-Match for exactly the routes that take it (core/openapi.py), and
tests/test_etag_contract.py calls every GET to prove it.
"""

import hashlib
from typing import Annotated

from fastapi import Depends, Header, Response
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import PreconditionFailed

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=512,
        description="ETag from an earlier GET or write; the write fails with 412 if the "
        "resource's own fields changed since (a changed count or position in the reply does "
        "not refuse it)",
    ),
]

_DIGEST_SEPARATOR = "."


def etag_for(resource: str, resource_id: int, version: int) -> str:
    """The row tag: what If-Match is checked against."""
    return f'"{resource}-{resource_id}-v{version}"'


# One-time secrets never reach a header, not even hashed. Only write replies carry them, and a
# write never answers 304, so leaving them out of the digest cannot make a 304 wrong.
_NEVER_DIGESTED = frozenset({"client_secret", "invitation_token", "secret"})


def representation_digest(body: BaseModel) -> str:
    """A digest of the reply's whole body: the JSON the caller gets."""
    raw = body.model_dump_json(by_alias=True, exclude=set(_NEVER_DIGESTED))
    return hashlib.blake2b(raw.encode(), digest_size=8).hexdigest()


def representation_etag(row_tag: str, body: BaseModel) -> str:
    """The ETag a reply carries: the row tag and a digest of the reply's whole body."""
    return f"{row_tag[:-1]}{_DIGEST_SEPARATOR}{representation_digest(body)}\""


class ETagWriter:
    """Sets the reply's ETag; get one through the ``SetETag`` dependency, the marker the spec
    reads (core/openapi.py), never by hand."""

    __slots__ = ("_response",)

    def __init__(self, response: Response) -> None:
        self._response = response

    def __call__(self, row_tag: str, body: BaseModel) -> None:
        self._response.headers["ETag"] = representation_etag(row_tag, body)

    def row(self, resource: str, resource_id: int, version: int, body: BaseModel) -> None:
        self(etag_for(resource, resource_id, version), body)


async def etag_writer(response: Response) -> ETagWriter:
    return ETagWriter(response)


SetETag = Annotated[ETagWriter, Depends(etag_writer)]


def check_if_match(if_match: str | None, resource: str, resource_id: int, version: int) -> None:
    check_if_match_etag(if_match, etag_for(resource, resource_id, version))


def _same_row(tag: str, row_tag: str) -> bool:
    """``tag`` is the row tag itself or the row tag with a representation digest."""
    if tag == row_tag:
        return True
    stem = row_tag[:-1] + _DIGEST_SEPARATOR
    return tag.startswith(stem) and tag.endswith('"') and len(tag) > len(stem) + 1


def check_if_match_etag(if_match: str | None, current: str) -> None:
    """The If-Match check against the current row tag (a version or a content digest)."""
    if if_match is None:
        return
    candidates = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" in candidates or any(_same_row(tag, current) for tag in candidates):
        return
    raise PreconditionFailed(
        f"The resource is now at {current}; reload it and apply your change again.",
        current_etag=current,
    )


def etag_matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 section 13.1.2: weak comparison, ``*`` matches any current representation."""
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or etag.removeprefix("W/") in candidates


_KEPT_ON_304 = {b"etag", b"cache-control", b"content-location", b"date", b"expires", b"vary",
                b"x-request-id"}


class NotModifiedMiddleware:
    """``If-None-Match`` on a GET or HEAD: when the 200 it would send carries an ``ETag`` that
    matches, the answer is 304 without a body. One place for every read that sets an ETag."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        if_none_match = next((value.decode("latin-1") for name, value in scope.get("headers", [])
                              if name == b"if-none-match"), None)
        if if_none_match is None:
            await self.app(scope, receive, send)
            return
        not_modified = False

        async def send_checked(message: Message) -> None:
            nonlocal not_modified
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = message.get("headers", [])
                etag = next((v.decode("latin-1") for n, v in headers if n.lower() == b"etag"), None)
                if etag is not None and etag_matches(if_none_match, etag):
                    not_modified = True
                    message = {**message, "status": 304, "headers": [
                        (n, v) for n, v in headers
                        if n.lower() in _KEPT_ON_304 or n.lower().startswith(b"access-control-")]}
            elif message["type"] == "http.response.body" and not_modified:
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app(scope, receive, send_checked)
