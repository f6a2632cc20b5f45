"""The Servicebüro's webhook endpoints: CRUD with ETag/If-Match, secret rotation, the
delivery log, redelivery and a test event. Partner systems and alliance users get 403.

URL checks resolve the host name, so they run in a thread of their own before the database
work, never holding one of the database slots."""

from typing import Annotated

import anyio
from fastapi import Depends, Path, Query, Request, Response, status

from app.auth.deps import AdminUser, admin_user
from app.core.deps import DbDep
from app.core.errors import problem_responses
from app.core.etags import ETagWriter, IfMatch, SetETag
from app.core.ids import RowId
from app.core.pagination import Page, PageParams, page_params, set_link_header
from app.core.routing import ApiRouter
from app.webhooks import service
from app.webhooks.models import DeliveryStatus
from app.webhooks.schemas import (
    WebhookDeliveryRead,
    WebhookEndpointCreate,
    WebhookEndpointRead,
    WebhookEndpointUpdate,
    WebhookEndpointWithSecret,
)

router = ApiRouter(prefix="/webhooks", tags=["webhooks"], dependencies=[Depends(admin_user)],
                   responses=problem_responses(401, 403))
PageDep = Annotated[PageParams, Depends(page_params)]
EndpointId = Annotated[RowId, Path(description="The webhook endpoint's id")]
DeliveryId = Annotated[RowId, Path(description="The delivery's id")]


def _etag(etag: ETagWriter, endpoint: WebhookEndpointRead) -> None:
    etag.row(service.ETAG_RESOURCE, endpoint.id, endpoint.version, endpoint)


async def _check_url(url: str | None) -> None:
    if url is not None:
        await anyio.to_thread.run_sync(service.check_url, url)


@router.get("/endpoints", name="webhooks-endpoints-list",
            response_model=Page[WebhookEndpointRead], responses=problem_responses(422),
            summary="Servicebüro: every webhook endpoint, oldest first")
async def list_endpoints(
    request: Request, response: Response, db: DbDep, page: PageDep,
    client_pk: Annotated[RowId | None, Query(description="Only this machine client's")] = None,
) -> Page[WebhookEndpointRead]:
    items, cursor, total = await db.run(service.list_endpoints, page, client_pk=client_pk)
    set_link_header(request, response, cursor)
    return Page(items=items, next_cursor=cursor, total=total)


@router.post("/endpoints", name="webhooks-endpoints-create",
             response_model=WebhookEndpointWithSecret, status_code=status.HTTP_201_CREATED,
             responses=problem_responses(422),
             summary="Servicebüro: register a webhook endpoint (the secret is shown only now)")
async def create_endpoint(body: WebhookEndpointCreate, db: DbDep, principal: AdminUser,
                          response: Response, etag: SetETag) -> WebhookEndpointWithSecret:
    await _check_url(body.url)
    endpoint = await db.run(service.create_endpoint, body, principal)
    response.headers["Location"] = f"/api/v1/webhooks/endpoints/{endpoint.id}"
    response.headers["Cache-Control"] = "no-store"
    _etag(etag, endpoint)
    return endpoint


@router.get("/endpoints/{endpoint_id}", name="webhooks-endpoints-get",
            response_model=WebhookEndpointRead, responses=problem_responses(404, 422),
            summary="Servicebüro: one webhook endpoint")
async def get_endpoint(endpoint_id: EndpointId, db: DbDep,
                       etag: SetETag) -> WebhookEndpointRead:
    endpoint = await db.run(service.get_endpoint, endpoint_id)
    _etag(etag, endpoint)
    return endpoint


@router.patch("/endpoints/{endpoint_id}", name="webhooks-endpoints-update",
              response_model=WebhookEndpointRead, responses=problem_responses(404, 412, 422),
              summary="Servicebüro: change a webhook endpoint (is_active=true re-enables it)")
async def update_endpoint(endpoint_id: EndpointId, body: WebhookEndpointUpdate, db: DbDep,
                          etag: SetETag, if_match: IfMatch = None) -> WebhookEndpointRead:
    await _check_url(body.url)
    endpoint = await db.run(service.update_endpoint, endpoint_id, body, if_match)
    _etag(etag, endpoint)
    return endpoint


@router.delete("/endpoints/{endpoint_id}", name="webhooks-endpoints-delete",
               status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(404, 412, 422),
               summary="Servicebüro: delete a webhook endpoint and its delivery log")
async def delete_endpoint(endpoint_id: EndpointId, db: DbDep,
                          if_match: IfMatch = None) -> Response:
    await db.run(service.delete_endpoint, endpoint_id, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/endpoints/{endpoint_id}/secret", name="webhooks-endpoints-rotate-secret",
             response_model=WebhookEndpointWithSecret, responses=problem_responses(404, 412, 422),
             summary="Servicebüro: a new signing secret (shown only now); the old one keeps "
             "signing beside it for BUENDNIS_WEBHOOK_SECRET_GRACE_HOURS")
async def rotate_secret(endpoint_id: EndpointId, db: DbDep, response: Response, etag: SetETag,
                        if_match: IfMatch = None) -> WebhookEndpointWithSecret:
    endpoint = await db.run(service.rotate_secret, endpoint_id, if_match)
    response.headers["Cache-Control"] = "no-store"
    _etag(etag, endpoint)
    return endpoint


@router.post("/endpoints/{endpoint_id}/test", name="webhooks-endpoints-test",
             response_model=WebhookDeliveryRead, status_code=status.HTTP_202_ACCEPTED,
             responses=problem_responses(404, 409, 422),
             summary="Servicebüro: queue a webhook.test event for this endpoint")
async def send_test(endpoint_id: EndpointId, db: DbDep) -> WebhookDeliveryRead:
    return await db.run(service.send_test, endpoint_id)


@router.get("/endpoints/{endpoint_id}/deliveries", name="webhooks-deliveries-list",
            response_model=Page[WebhookDeliveryRead], responses=problem_responses(404, 422),
            summary="Servicebüro: an endpoint's deliveries, newest first")
async def list_deliveries(
    request: Request, response: Response, endpoint_id: EndpointId, db: DbDep, page: PageDep,
    status_: Annotated[DeliveryStatus | None, Query(alias="status",
                                                    description="Only this status")] = None,
) -> Page[WebhookDeliveryRead]:
    items, cursor, total = await db.run(service.list_deliveries, endpoint_id, page,
                                        status=status_)
    set_link_header(request, response, cursor)
    return Page(items=items, next_cursor=cursor, total=total)


@router.post("/endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver",
             name="webhooks-deliveries-redeliver", response_model=WebhookDeliveryRead,
             status_code=status.HTTP_202_ACCEPTED, responses=problem_responses(404, 409, 422),
             summary="Servicebüro: send a delivered or failed event again (same webhook-id)")
async def redeliver(endpoint_id: EndpointId, delivery_id: DeliveryId,
                    db: DbDep) -> WebhookDeliveryRead:
    return await db.run(service.redeliver, endpoint_id, delivery_id)
