"""Survey notices (Bündnisumfrage-Anschreiben).

Importing the package registers ``tracking.follow_outbox`` with the mail outbox, so every
process that loads the tables (``app.models``) keeps notices in step with their e-mails.
"""

from app.notices import tracking

__all__ = ["tracking"]
