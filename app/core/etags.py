"""ETags for single resources and the If-Match check for PATCH and DELETE.

If-Match is optional (scripts may omit it); when sent it must match the current version or the
write is refused with 412, so two editors in the SPA cannot overwrite each other silently.
"""

from typing import Annotated

from fastapi import Header, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import PreconditionFailed

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=512,
        description="ETag from an earlier GET; the write fails with 412 if the resource changed",
    ),
]


def etag_for(resource: str, resource_id: int, version: int) -> str:
    return f'"{resource}-{resource_id}-v{version}"'


def set_etag(response: Response, resource: str, resource_id: int, version: int) -> None:
    response.headers["ETag"] = etag_for(resource, resource_id, version)


def check_if_match(if_match: str | None, resource: str, resource_id: int, version: int) -> None:
    check_if_match_etag(if_match, etag_for(resource, resource_id, version))


def check_if_match_etag(if_match: str | None, current: str) -> None:
    """The If-Match check against an ETag built some other way (a content digest)."""
    if if_match is None:
        return
    candidates = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" in candidates or current in candidates:
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
