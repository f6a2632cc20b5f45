"""Helpers for the FAQ tests: a valid entry body, creating (and publishing) one through the
API, and the questions of a list response."""

from typing import Any

PUBLIC = "/api/v1/public/faq"
ADMIN = "/api/v1/faq"


def entry(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"category": "survey", "position": 10,
                            "question": "Wer kann an der Bündnisumfrage teilnehmen?",
                            "answer": "Alle Lokalen Bündnisse, die **noch kein Siegel** haben."}
    body.update(overrides)
    return body


def create(client, admin, *, publish: bool = True, **overrides: Any) -> dict[str, Any]:
    created = client.post(ADMIN, headers=admin, json=entry(**overrides))
    assert created.status_code == 201, created.text
    body = created.json()
    if publish:
        published = client.post(f"{ADMIN}/{body['id']}/publish", headers=admin)
        assert published.status_code == 200, published.text
        body = published.json()
    return body


def questions(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["question"] for item in response.json()["items"]]
