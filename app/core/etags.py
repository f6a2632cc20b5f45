"""ETags for single resources and the If-Match check for PATCH and DELETE.

If-Match is optional (scripts may omit it); when sent it must match the current version or the
write is refused with 412, so two editors in the SPA cannot overwrite each other silently.
"""

from typing import Annotated

from fastapi import Header, Response

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
    if if_match is None:
        return
    current = etag_for(resource, resource_id, version)
    candidates = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" in candidates or current in candidates:
        return
    raise PreconditionFailed(
        f"The resource is now at {current}; reload it and apply your change again.",
        current_etag=current,
    )
