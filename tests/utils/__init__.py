"""Helpers every test package shares: problem documents, uploads, the outbox, settings, limits,
rows read back, and racing clients. Test modules import from here (or from their package's
helpers.py), never from a conftest."""
