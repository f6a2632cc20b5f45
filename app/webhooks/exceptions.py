"""Errors of the webhooks domain, each with its own stable ``code``."""

from app.core.errors import Conflict, NotFound, RuleViolation

__all__ = [
    "DeliveryNotFound",
    "DeliveryPending",
    "InvalidWebhookEndpoint",
    "WebhookEndpointInactive",
    "WebhookEndpointNotFound",
]


class WebhookEndpointNotFound(NotFound):
    code, title = "webhook_endpoint_not_found", "Webhook endpoint not found"


class DeliveryNotFound(NotFound):
    code, title = "webhook_delivery_not_found", "Webhook delivery not found"


class InvalidWebhookEndpoint(RuleViolation):
    code, title = "invalid_webhook_endpoint", "The webhook endpoint is not valid"


class DeliveryPending(Conflict):
    code, title = "webhook_delivery_pending", "The delivery is still being attempted"


class WebhookEndpointInactive(Conflict):
    code, title = "webhook_endpoint_inactive", "The webhook endpoint is not active"
