"""/api/v1/cycles/{cycle}/questions: a cycle's questionnaire. Everyone signed in reads it
(scoring and weights only for admins); the Servicebüro writes it while the cycle is a draft."""

from typing import Annotated

from fastapi import Depends, Path, Query, Response, status

from app.auth.deps import admin_user
from app.core.deps import DbDep
from app.core.errors import problem_responses
from app.core.etags import IfMatch, SetETag
from app.core.routing import ApiRouter
from app.cycles.deps import CyclePath, CycleReader
from app.questionnaire import service as service
from app.questionnaire.schemas import (
    QUESTION_KEY_PATTERN,
    QuestionIn,
    QuestionnaireIn,
    QuestionnaireRead,
    QuestionRead,
    QuestionUpdate,
    ScorePreviewIn,
    ScorePreviewRead,
)

router = ApiRouter(prefix="/cycles/{cycle}/questions", tags=["cycles"],
                   responses=problem_responses(401, 403, 404))
admin_router = ApiRouter(prefix="/cycles/{cycle}/questions", tags=["cycles"],
                         dependencies=[Depends(admin_user)],
                         responses=problem_responses(401, 403, 404))
# Colon actions (":copy", ":score-preview") live beside the collection, as in Google's API style.
admin_actions = ApiRouter(prefix="/cycles/{cycle}", tags=["cycles"],
                          dependencies=[Depends(admin_user)],
                          responses=problem_responses(401, 403, 404))
QuestionKeyPath = Annotated[str, Path(max_length=60, pattern=QUESTION_KEY_PATTERN,
                                      description="The question's key", examples=["press_coverage"])]


@router.get("", name="questions-list", response_model=QuestionnaireRead,
            summary="The cycle's questionnaire, in order")
async def read_questionnaire(
    cycle: CyclePath, db: DbDep, principal: CycleReader, etag: SetETag,
) -> QuestionnaireRead:
    questionnaire, tag = await db.run(service.read_questionnaire, cycle, principal)
    etag(tag, questionnaire)
    return questionnaire


@admin_router.put("", name="questions-replace", response_model=QuestionnaireRead,
                  responses=problem_responses(409, 412, 422),
                  summary="Replace the whole questionnaire (draft cycles only)")
async def replace_questionnaire(
    cycle: CyclePath, body: QuestionnaireIn, db: DbDep, etag: SetETag,
    if_match: IfMatch = None,
) -> QuestionnaireRead:
    questionnaire, tag = await db.run(service.replace_questionnaire, cycle, body, if_match)
    etag(tag, questionnaire)
    return questionnaire


@admin_router.post("", name="questions-create", response_model=QuestionRead,
                   status_code=status.HTTP_201_CREATED, responses=problem_responses(409, 412, 422),
                   summary="Add one question at the end (draft cycles only)")
async def add_question(
    cycle: CyclePath, body: QuestionIn, db: DbDep, response: Response, etag: SetETag,
    if_match: IfMatch = None,
) -> QuestionRead:
    question, tag = await db.run(service.add_question, cycle, body, if_match)
    etag(tag, question)
    response.headers["Location"] = f"/api/v1/cycles/{cycle}/questions/{question.key}"
    return question


@router.get("/{key}", name="questions-get", response_model=QuestionRead,
            responses=problem_responses(422), summary="One question")
async def read_question(
    cycle: CyclePath, key: QuestionKeyPath, db: DbDep, principal: CycleReader,
    etag: SetETag,
) -> QuestionRead:
    question, tag = await db.run(service.read_question, cycle, key, principal)
    etag(tag, question)
    return question


@admin_router.patch("/{key}", name="questions-update", response_model=QuestionRead,
                    responses=problem_responses(409, 412, 422),
                    summary="Change or move one question (draft cycles only)")
async def update_question(
    cycle: CyclePath, key: QuestionKeyPath, body: QuestionUpdate, db: DbDep, etag: SetETag,
    if_match: IfMatch = None,
) -> QuestionRead:
    question, tag = await db.run(service.update_question, cycle, key, body, if_match)
    etag(tag, question)
    return question


@admin_router.delete("/{key}", name="questions-delete", status_code=status.HTTP_204_NO_CONTENT,
                     responses=problem_responses(409, 412, 422),
                     summary="Remove one question (draft cycles only)")
async def delete_question(
    cycle: CyclePath, key: QuestionKeyPath, db: DbDep, if_match: IfMatch = None,
) -> Response:
    await db.run(service.delete_question, cycle, key, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@admin_actions.post("/questions:copy", name="questions-copy", response_model=QuestionnaireRead,
                    responses=problem_responses(409, 412, 422),
                    summary="Copy the questionnaire of another cycle into this draft cycle")
async def copy_questionnaire(
    cycle: CyclePath, db: DbDep, etag: SetETag,
    from_: Annotated[str, Query(alias="from", max_length=20, examples=["2024-25"],
                                description="The cycle to copy from (id, slug or key)")],
    replace: Annotated[bool, Query(description="Overwrite the questions this cycle has")] = False,
    if_match: IfMatch = None,
) -> QuestionnaireRead:
    questionnaire, tag = await db.run(service.copy_questionnaire, cycle, from_, replace, if_match)
    etag(tag, questionnaire)
    return questionnaire


@admin_actions.post("/questions:score-preview", name="questions-score-preview",
                    response_model=ScorePreviewRead, responses=problem_responses(422),
                    summary="Score answers against the questionnaire without storing them")
async def preview_score(cycle: CyclePath, body: ScorePreviewIn, db: DbDep) -> ScorePreviewRead:
    return await db.run(service.preview_score, cycle, body)
