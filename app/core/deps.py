"""The request dependency every domain uses for the database. Who is calling is decided in
app/auth/deps.py; the ground floor knows nothing of users or clients."""

from typing import Annotated

from fastapi import Depends

from app.core.db import Db, get_db

DbDep = Annotated[Db, Depends(get_db)]
