"""Which media type a client prefers, from ``Accept`` (RFC 9110 §12.5.1), weighing q-values."""

MAX_ACCEPT_ITEMS = 64


def media_quality(accept: str | None, media_type: str) -> float:
    """The q-value ``accept`` gives ``media_type``: the most specific matching range counts
    (``text/html`` before ``text/*`` before ``*/*``); no header accepts everything (1.0)."""
    if accept is None or not accept.strip():
        return 1.0
    wanted_type, _, wanted_sub = media_type.lower().partition("/")
    best: tuple[int, float] | None = None
    for item in accept.split(",")[:MAX_ACCEPT_ITEMS]:
        range_, *params = (part.strip() for part in item.split(";"))
        kind, _, sub = range_.lower().partition("/")
        if not kind or not sub:
            continue
        if kind == "*" and sub == "*":
            specificity = 0
        elif kind == wanted_type and sub == "*":
            specificity = 1
        elif kind == wanted_type and sub == wanted_sub:
            specificity = 2
        else:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        if best is None or specificity > best[0]:
            best = (specificity, quality)
    return best[1] if best is not None else 0.0


def prefers_html(accept: str | None) -> bool:
    """A browser: ``text/html`` weighs more than JSON (``*/*`` alone, or none, means JSON)."""
    html = media_quality(accept, "text/html")
    return html > 0 and html > media_quality(accept, "application/json")
