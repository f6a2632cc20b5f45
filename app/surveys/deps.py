"""Who may read and push survey responses: people (the service narrows alliance users to their
own alliance) and machine clients with the survey scopes; bulk writes are for the Servicebüro
and partner systems only."""

from typing import Annotated

from fastapi import Depends

from app.auth.deps import admin_or_client_with, user_or_client_with
from app.auth.principal import Principal

SurveyReader = Annotated[Principal, Depends(user_or_client_with("surveys:read"))]
BulkSurveyWriter = Annotated[Principal, Depends(admin_or_client_with("surveys:write"))]
