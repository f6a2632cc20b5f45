from app.core.errors import Conflict, Unauthorized


class InvalidCredentials(Unauthorized):
    code, title = "invalid_credentials", "E-mail or password is wrong"


class InvalidClient(Unauthorized):
    code, title = "invalid_client", "Client id or secret is wrong"


class InvalidRefreshToken(Unauthorized):
    code, title = "invalid_refresh_token", "The refresh token is invalid, expired or revoked"


class RefreshTokenReused(Unauthorized):
    code, title = "refresh_token_reused", "Refresh token reused: the whole session was revoked"


class InvalidInvitation(Unauthorized):
    code, title = "invalid_invitation", "The invitation is invalid, used or expired"


class EmailTaken(Conflict):
    code, title = "email_taken", "A user with this e-mail exists"
