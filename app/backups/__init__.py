"""``buendnis backup`` / ``buendnis restore``: SQLite through its online backup API, PostgreSQL
through pg_dump / pg_restore (custom format)."""
