"""Waivers, targets, schedules, tokens and the audit log through the API."""

from __future__ import annotations

from datetime import date, timedelta

from tests.web.support import ApiClient


def test_waiver_life(api: ApiClient, tokens: dict[str, str]) -> None:
    reviewer = api.as_(tokens["reviewer"])
    expires = (date.today() + timedelta(days=30)).isoformat()
    body = {"rule_id": "eu.gpai.documentation", "model_pattern": "acme/*", "reason": "documented", "owner": "legal",
            "expires": expires}  # fmt: skip
    response = reviewer.post("/api/v1/waivers", json=body)
    assert response.status_code == 201
    waiver = response.get_json()
    assert waiver["state"] == "active" and waiver["approved_by"] == "token:test-reviewer"
    assert [w["id"] for w in api.get("/api/v1/waivers").get_json()["items"]] == [waiver["id"]]
    revoked = reviewer.post(f"/api/v1/waivers/{waiver['id']}/revoke", json={"reason": "superseded"}).get_json()
    assert revoked["state"] == "revoked"
    assert api.get("/api/v1/waivers").get_json()["items"] == []
    assert api.get("/api/v1/waivers?state=revoked").get_json()["total"] == 1
    again = reviewer.post(f"/api/v1/waivers/{waiver['id']}/revoke", json={})
    assert again.status_code == 409 and "already" in again.get_json()["error"]
    past = reviewer.post("/api/v1/waivers", json={**body, "expires": "2000-01-01"})
    assert past.status_code == 422 and "past" in past.get_json()["error"]
    assert reviewer.post("/api/v1/waivers/999/revoke", json={}).status_code == 404


def test_targets_and_their_schedules(api: ApiClient) -> None:
    target = api.post("/api/v1/targets", json={"kind": "models", "value": ["acme/a", "acme/b"]}).get_json()
    assert target["value"] == ["acme/a", "acme/b"]
    schedules = api.get("/api/v1/schedules").get_json()["items"]
    assert [(s["task"], s["target_id"], s["every_seconds"]) for s in schedules] == [
        ("compliance.scans.scan_target", target["id"], 86_400)
    ]
    changed = api.patch(f"/api/v1/schedules/{schedules[0]['id']}", json={"crontab": "0 3 * * *"}).get_json()
    assert changed["crontab"] == "0 3 * * *" and changed["every_seconds"] is None
    disabled = api.patch(f"/api/v1/targets/{target['id']}", json={"enabled": False}).get_json()
    assert disabled["enabled"] is False
    bad = api.post("/api/v1/schedules", json={"task": "os.system", "every_seconds": 60})
    assert bad.status_code == 422
    both = api.post("/api/v1/schedules", json={"task": "compliance.waivers.expire", "every_seconds": 60,
                                               "crontab": "@daily"})  # fmt: skip
    assert both.status_code == 422 and "exactly one" in both.get_json()["error"]
    created = api.post("/api/v1/schedules", json={"task": "compliance.waivers.expire", "crontab": "@hourly"})
    assert created.status_code == 201
    assert api.delete(f"/api/v1/schedules/{created.get_json()['id']}").status_code == 204
    assert api.delete(f"/api/v1/targets/{target['id']}").status_code == 204
    assert api.get(f"/api/v1/targets/{target['id']}").status_code == 404
    assert api.get("/api/v1/schedules/999").status_code == 404


def test_tokens_are_shown_once_and_revocable(api: ApiClient) -> None:
    created = api.post("/api/v1/tokens", json={"name": "ci-bot", "role": "submitter"}).get_json()
    assert created["token"].startswith("cmp_") and created["prefix"] in created["token"]
    listed = api.get("/api/v1/tokens").get_json()["items"]
    assert "ci-bot" in [t["name"] for t in listed] and all("token" not in t for t in listed)
    bot = api.as_(created["token"])
    assert bot.get("/api/v1/me").get_json()["role"] == "submitter"
    assert api.delete(f"/api/v1/tokens/{created['id']}").status_code == 204
    assert bot.get("/api/v1/me").status_code == 401
    assert api.delete(f"/api/v1/tokens/{created['id']}").status_code == 409  # already revoked
    assert api.post("/api/v1/tokens", json={"name": "x", "role": "god"}).status_code == 422


def test_audit_log_records_who_did_what(api: ApiClient) -> None:
    api.post("/api/v1/tokens", json={"name": "audited", "role": "viewer"})
    events = api.get("/api/v1/audit?action=token.create&actor=token:test-admin").get_json()
    assert events["total"] == 1 and events["items"][0]["detail"]["name"] == "audited"
    assert api.get("/api/v1/audit?action=token.create").get_json()["total"] == 5  # four by the fixture


def test_a_target_with_history_refuses_deletion_and_a_disabled_one_scanning(api: ApiClient) -> None:
    target = api.post("/api/v1/targets", json={"kind": "author", "value": "acme", "schedule": False}).get_json()
    assert api.post(f"/api/v1/targets/{target['id']}/scans").status_code == 202
    refused = api.delete(f"/api/v1/targets/{target['id']}")
    assert refused.status_code == 409 and "disable it" in refused.get_json()["error"]
    api.patch(f"/api/v1/targets/{target['id']}", json={"enabled": False})
    assert api.post(f"/api/v1/targets/{target['id']}/scans").status_code == 409


def test_a_schedule_for_a_missing_target_is_a_404(api: ApiClient) -> None:
    body = {"task": "compliance.scans.scan_target", "target_id": 999, "every_seconds": 3600}
    assert api.post("/api/v1/schedules", json=body).status_code == 404
