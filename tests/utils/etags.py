"""ETags in tests: a reply's ETag is the row tag plus a digest of the body (core/etags.py)."""


def row_tag(etag: str) -> str:
    """``"event-6-v1.3fa2…"`` -> ``"event-6-v1"``: the part If-Match is checked against."""
    stem, _, digest = etag.rpartition(".")
    assert stem and digest.endswith('"'), f"no representation digest in {etag}"
    return stem + '"'
