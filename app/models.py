"""Every table class, imported in one place for Alembic and relationship resolution."""

from app.alliances.models import Alliance, AllianceContact, AlliancePartner
from app.auth.models import ApiClient, ApiClientAlliance, AuthSession, RefreshToken, User

__all__ = [
    "Alliance", "AllianceContact", "AlliancePartner", "ApiClient", "ApiClientAlliance",
    "AuthSession", "RefreshToken", "User",
]
