from compliance.services.checks import run_check
from compliance.storage.db import session_factory
from tests.web.dashboard.conftest import csrf_from


def test_flow(app, client_as, hub, settings, celery):
    c = client_as("submitter")
    page = c.get("/checks/new").get_data(as_text=True)
    r = c.post(
        "/checks/new",
        data={
            "csrf_token": csrf_from(page),
            "model_id": "meta-llama/Llama-3.1-405B",
            "markets": ["EU"],
            "fail_on": "high",
            "hardware": "",
            "open_weights": "",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)[-2000:]
    cid = celery.sent[0]["args"][0]
    html = c.get(f"/checks/{cid}").get_data(as_text=True)
    assert "data-poll" in html
    s = settings.with_overrides(hf_endpoint=hub.url, hub_offline=False)
    run_check(session_factory(app.extensions["dashboard"].engine), cid, settings=s)
    r = c.get(f"/checks/{cid}")
    html = r.get_data(as_text=True)
    __import__("pathlib").Path("/tmp/result.html").write_text(html)
    print(len(html))
    assert r.status_code == 200
    for fmt in ("json", "sarif", "md"):
        assert c.get(f"/checks/{cid}/report.{fmt}").status_code == 200
    r = c.get(f"/checks/{cid}/print")
    __import__("pathlib").Path("/tmp/print.html").write_text(r.get_data(as_text=True))
    assert r.status_code == 200
    assert c.get(f"/checks/{cid}/status").json["finished"]
    assert c.get("/models/meta-llama/Llama-3.1-405B").status_code == 200
