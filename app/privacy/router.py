from fastapi import Depends

from app.auth.deps import AdminUser, CurrentUser, admin_user
from app.core.deps import DbDep
from app.core.errors import problem_responses
from app.core.ids import RowId
from app.core.limits import NoStore
from app.core.routing import ApiRouter
from app.privacy import erasure, export
from app.privacy.schemas import ErasureResult, PersonalDataExport, PersonKind

router = ApiRouter(tags=["privacy"], dependencies=[NoStore], responses=problem_responses(401, 403, 404, 422))


@router.get("/alliances/{alliance_id}/personal-data", name="privacy-export-alliance",
            response_model=PersonalDataExport,
            summary="Every piece of personal data held about an alliance's people")
async def export_personal_data(alliance_id: RowId, db: DbDep, principal: CurrentUser) -> PersonalDataExport:
    return await db.run(export.export_personal_data, alliance_id, principal)


@router.post("/people/{kind}/{person_id}:erase", name="privacy-erase-person",
             response_model=ErasureResult, dependencies=[Depends(admin_user)],
             responses=problem_responses(409),
             summary="Anonymise a person everywhere, keeping counts and history")
async def erase_person(kind: PersonKind, person_id: RowId, db: DbDep, actor: AdminUser) -> ErasureResult:
    return await db.run(erasure.erase_person, kind, person_id, actor)
