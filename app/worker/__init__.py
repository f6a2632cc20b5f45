"""``buendnis worker``: one long-running process for the work that must not run inside a
request (outbox delivery, retention; later reminders and webhooks)."""
