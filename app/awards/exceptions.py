from app.core.errors import Conflict, Gone, NotFound


class AwardNotFound(NotFound):
    code, title = "award_not_found", "Award not found"


class AwardsNotAllowed(Conflict):
    code, title = "awards_not_allowed", "Awards cannot be given in the cycle's current status"


class NotEvaluated(Conflict):
    code, title = "not_evaluated", "The cycle has not been evaluated yet"


class AwardExists(Conflict):
    code, title = "award_exists", "The alliance already holds this cycle's seal"


class AwardAlreadyWithdrawn(Conflict):
    code, title = "award_withdrawn", "The award has been withdrawn already"


class AwardWithdrawnGone(Gone):
    code, title = "award_withdrawn", "The award has been withdrawn"


class SealNotFound(NotFound):
    code, title = "seal_not_found", "No seal with this verification code"
