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
from functools import cache
from typing import Annotated

from fastapi import Depends, Header, Request, Response
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
    """A digest of a reply's body model, its one-time secrets left out: for the replies that
    carry one (every other reply's digest is taken from the bytes it sends, see
    ``ETagMiddleware``)."""
    raw = body.model_dump_json(by_alias=True, exclude=set(_NEVER_DIGESTED))
    return hashlib.blake2b(raw.encode(), digest_size=8).hexdigest()


def bytes_digest(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=8).hexdigest()


def with_digest(row_tag: str, digest: str) -> str:
    return f"{row_tag[:-1]}{_DIGEST_SEPARATOR}{digest}\""


def representation_etag(row_tag: str, body: BaseModel) -> str:
    """The ETag of a reply carrying a one-time secret: the row tag and a digest of the body
    model without the secret."""
    return with_digest(row_tag, representation_digest(body))


@cache
def _secret_fields(model: type[BaseModel]) -> tuple[str, ...]:
    return tuple(name for name in model.model_fields if name in _NEVER_DIGESTED)


def _carries_secret(body: BaseModel) -> bool:
    # By the class's fields: getattr on a model for a field it lacks raises inside pydantic,
    # which costs as much as the serialization this path saves.
    return any(getattr(body, name) is not None for name in _secret_fields(type(body)))


_PENDING = "buendnis.etag_row_tag"
"""Scope key: ETagMiddleware's holder of the row tag a route asked for, to be completed with
the digest of the body bytes once they are written."""


class _PendingRowTag:
    __slots__ = ("row_tag",)

    def __init__(self) -> None:
        self.row_tag: str | None = None


class ETagWriter:
    """Sets the reply's ETag; get one through the ``SetETag`` dependency, the marker the spec
    reads (core/openapi.py), never by hand.

    The digest is taken from the JSON bytes the reply sends (``ETagMiddleware`` completes the
    header): serializing the body a second time just for its digest cost ~7 % of a GET's CPU
    (docs/PERFORMANCE.md). A reply carrying a one-time secret is digested from its model
    without the secret, here."""

    __slots__ = ("_pending", "_response")

    def __init__(self, response: Response, pending: _PendingRowTag | None) -> None:
        self._response = response
        self._pending = pending

    def __call__(self, row_tag: str, body: BaseModel) -> None:
        if self._pending is None or _carries_secret(body):
            self._response.headers["ETag"] = representation_etag(row_tag, body)
            return
        self._pending.row_tag = row_tag
        self._response.headers["ETag"] = row_tag

    def row(self, resource: str, resource_id: int, version: int, body: BaseModel) -> None:
        self(etag_for(resource, resource_id, version), body)


async def etag_writer(request: Request, response: Response) -> ETagWriter:
    return ETagWriter(response, request.scope.get(_PENDING))


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


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    return next((v.decode("latin-1") for n, v in headers if n.lower() == name), None)


class ETagMiddleware:
    """Every reply's ETag is finished here, and ``If-None-Match`` and HEAD are answered here.

    * A route that set a row tag through ``SetETag`` gets the digest of the body bytes it sends
      appended (``"<row tag>.<digest>"``): the reply is held until its body is complete (ETag
      replies are single JSON bodies), the header is completed, and the reply goes out.
    * ``If-None-Match`` on a GET or HEAD: when the 200 it would send carries an ``ETag`` that
      matches, the answer is 304 without a body. One place for every read that sets an ETag.
    * HEAD is answered for every GET route (uptime monitors and link checkers use it): the app
      serves it as the GET, and the body is dropped while the GET's headers, its
      ``Content-Length`` included, go out as they are."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        pending = _PendingRowTag()
        method = scope.get("method")
        head = method == "HEAD"
        if_none_match = None
        if method in ("GET", "HEAD"):
            if_none_match = next((value.decode("latin-1") for name, value in scope.get("headers", [])
                                  if name == b"if-none-match"), None)
        # Into the scope itself, not a copy: the outer middlewares read what routing writes there
        # (the metrics' route template). HEAD alone is served from a copy, as the GET.
        scope[_PENDING] = pending
        if head:
            scope = {**scope, "method": "GET"}
        held: Message | None = None
        chunks: list[bytes] = []
        not_modified = head  # no body goes out: HEAD never has one, a 304 neither

        async def start(message: Message) -> None:
            nonlocal not_modified
            if message["status"] == 200 and if_none_match is not None:
                headers = message.get("headers", [])
                etag = _header(headers, b"etag")
                if etag is not None and etag_matches(if_none_match, etag):
                    not_modified = True
                    message = {**message, "status": 304, "headers": [
                        (n, v) for n, v in headers
                        if n.lower() in _KEPT_ON_304 or n.lower().startswith(b"access-control-")]}
            await send(message)

        async def send_checked(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                if (pending.row_tag is not None and 200 <= message["status"] < 300
                        and _header(message.get("headers", []), b"etag") == pending.row_tag):
                    held = message
                    return
                await start(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            if held is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = b"".join(chunks)
                assert pending.row_tag is not None
                etag = with_digest(pending.row_tag, bytes_digest(body)).encode("latin-1")
                completed = [(n, etag if n.lower() == b"etag" else v)
                             for n, v in held.get("headers", [])]
                held_start, held = {**held, "headers": completed}, None
                await start(held_start)
                message = {"type": "http.response.body", "body": body}
            if not_modified:
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app(scope, receive, send_checked)
