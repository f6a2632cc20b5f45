from app.core.errors import Conflict, Forbidden, RuleViolation


class NoticesClosed(Conflict):
    code, title = "notices_closed", "The cycle's survey no longer takes notices"


class NotEligible(RuleViolation):
    code, title = "not_eligible", "Not eligible for the survey"


class NoContactEmail(RuleViolation):
    code, title = "no_contact_email", "No contact person with an e-mail address"


class NoticeInProgress(Conflict):
    code, title = "notice_in_progress", "A notice is still being delivered"


class NotAllianceMember(Forbidden):
    code, title = "alliance_user_only", "Only for people acting for an alliance"


class RemindersClosed(Conflict):
    code, title = "reminders_closed", "Reminders are sent only while the survey is open"
