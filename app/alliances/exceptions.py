from app.core.errors import Conflict, NotFound


class AllianceNotFound(NotFound):
    code, title = "alliance_not_found", "Alliance not found"


class SlugTaken(Conflict):
    code, title = "slug_taken", "Another alliance has this slug"
