def test_health(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}
    assert r.headers["x-request-id"]


def test_ready(client):
    body = client.get("/readyz").json()
    assert body["status"] == "ready"
    assert body["migration"] == body["migration_head"]


def test_alliance_get(client, admin, alliance):
    r = client.get(f"/api/v1/alliances/{alliance.id}", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["contacts"][0]["email"].endswith("@example.org")
