"""``buendnis worker``: one long-running process for the work that must not run inside a
request (mail and webhook delivery, retention)."""
