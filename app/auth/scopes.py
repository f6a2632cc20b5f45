"""Scopes a machine client can hold. Each scope names what it opens."""

SCOPES: dict[str, str] = {
    "alliances:read": "Read alliances (no personal data unless restricted to own alliances)",
    "surveys:read": "Read cycles, questionnaires and the client's own pushed responses",
    "surveys:write": "Push survey responses for allowed alliances",
}
