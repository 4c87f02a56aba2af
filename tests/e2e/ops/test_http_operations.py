"""Operations: /healthz, /readyz both ways, /metrics parsed as Prometheus reads it, access logs
without secrets, and the served OpenAPI document against every answer the routes give."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from brevo_sync.adapters.store.migrate import upgrade
from brevo_sync.bootstrap import Container
from brevo_sync.config import load_settings
from brevo_sync.entrypoints.web import create_app
from brevo_sync.logs import configure_logging
from brevo_sync.service.status import mirror_status
from tests.e2e.ops.openapi_check import problems, response_schema
from tests.e2e.ops.support import (
    ALICE,
    Api,
    Template,
    open_api,
    write_rules,
)

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/none"


def bare_app(tmp_path: Path, database_url: str, **settings: Any) -> Iterator[TestClient]:
    """The app over a database that is not the pulled mirror."""
    container = Container(settings=load_settings(database_url=database_url, **settings))
    with TestClient(create_app(container, background=False)) as client:
        yield client
    container.close()


def checks(answer: Any) -> dict[str, bool]:
    return {c["name"]: c["ok"] for c in answer.json()["checks"]}


def test_healthz_and_readyz_when_ready(api: Api) -> None:
    assert api.get("/healthz").json() == {"status": "ok"}
    ready = api.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True
    assert checks(ready) == {"database": True, "migrations": True, "last_pull": True}


def test_readyz_names_every_failing_check(tmp_path: Path, template: Template) -> None:
    (tmp_path / "stale").mkdir()
    for stale in open_api(tmp_path / "stale", template, ready_max_pull_age_seconds=0.001):
        answer = stale.get("/readyz")
        assert answer.status_code == 503 and answer.json()["ready"] is False
        assert checks(answer) == {"database": True, "migrations": True, "last_pull": False}

    never = f"sqlite:///{tmp_path / 'never.db'}"
    for client in bare_app(tmp_path, never):
        assert checks(client.get("/readyz"))["migrations"] is False  # no schema yet
        engine = sa.create_engine(never)
        upgrade(engine)
        engine.dispose()
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert checks(answer) == {"database": True, "migrations": True, "last_pull": False}
        assert "no successful pull" in answer.text
    for client in bare_app(tmp_path, never, ready_max_pull_age_seconds=0):
        assert client.get("/readyz").status_code == 200  # 0: the pull's age is not checked

    old = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(old)
    upgrade(engine, "0005_reconcile")
    engine.dispose()
    for client in bare_app(tmp_path, old):
        answer = client.get("/readyz")
        assert answer.status_code == 503 and "db upgrade" in answer.text
        assert checks(answer) == {"database": True, "migrations": False, "last_pull": False}

    for client in bare_app(tmp_path, UNREACHABLE):
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert checks(answer) == {"database": False, "migrations": False, "last_pull": False}
        metrics = _metrics(client.get("/metrics").text)
        assert metrics["brevo_sync_mirror_up"][()] == 0  # still an answer, never a 500


def _metrics(text: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """Sample name -> (sorted labels) -> value, as Prometheus parses the page."""
    found: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = tuple(sorted(sample.labels.items()))
            found.setdefault(sample.name, {})[labels] = sample.value
    return found


def test_metrics_count_requests_and_read_the_mirror(api: Api) -> None:
    manager = api.token("boss@example.com", "sales_manager")
    rep = api.token(ALICE, "sales_rep")
    api.get("/deals")  # 401
    api.get("/deals", manager, limit=1)
    api.get("/deals", rep, limit=1)
    api.get("/no/such/route")
    deal = api.get("/deals", manager, stage="Lead", owner=ALICE).json()["deals"][0]["id"]
    moved = api.client.post(f"/deals/{deal}/stage", headers=rep, json={"stage": "Qualified"})
    assert moved.status_code == 200

    page = api.get("/metrics")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")
    m = _metrics(page.text)
    requests = m["brevo_sync_http_requests_total"]
    get = (("method", "GET"),)
    assert requests[(*get, ("route", "/deals"), ("status", "200"))] == 3
    assert requests[(*get, ("route", "/deals"), ("status", "401"))] == 1
    assert requests[(*get, ("route", "unmatched"), ("status", "404"))] == 1
    post = (("method", "POST"), ("route", "/deals/{deal_id}/stage"), ("status", "200"))
    assert requests[post] == 1
    assert m["brevo_sync_http_request_duration_seconds_count"][(("route", "/deals"),)] == 4

    status = mirror_status(api.container.context, 100)
    assert m["brevo_sync_mirror_up"][()] == 1
    assert m["brevo_sync_outbox_depth"][(("state", "pending"),)] == moved.json()["queued"]
    assert m["brevo_sync_outbox_depth"][(("state", "dead"),)] == 0
    assert set(m["brevo_sync_inbox_depth"]) >= {
        (("state", s),) for s in ("pending", "done", "dead")
    }
    assert m["brevo_sync_brevo_requests_total"][()] == status.mirror.requests_total > 0
    assert m["brevo_sync_brevo_requests_last_hour"][()] == status.mirror.requests_last_hour
    (budget,) = m["brevo_sync_brevo_budget_remaining"].items()
    assert budget[0] == (("source", "brevo"),) and budget[1] > 0
    assert 0 <= m["brevo_sync_seconds_since_last_pull"][()] < 600
    assert m["brevo_sync_alerts_open"][()] == status.mirror.alerts_open > 0


def test_access_log_lines_carry_no_secret(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json")
    headers = api.token("boss@example.com", "sales_manager")
    secret = headers["Authorization"].removeprefix("Bearer ")
    capsys.readouterr()
    api.get("/deals", headers, limit=1)
    api.client.get(
        "/deals?token=query-secret-1234", headers={"Authorization": "Bearer bst_wrong-99"}
    )
    api.client.post(
        "/webhooks/orders/shopify",
        content=b'{"id": 1}',
        headers={
            "X-Shopify-Hmac-Sha256": "c2lnbmF0dXJlLXNlY3JldA==",
            "Content-Type": "application/json",
        },
    )
    api.get("/deals/abc123", headers)

    def boom() -> None:  # a bug: answered 500, logged without the request's headers
        raise RuntimeError("a bug")

    api.client.app.router.add_api_route("/boom", boom)  # type: ignore[attr-defined]
    failed = api.client.get("/boom", headers=headers)
    assert failed.status_code == 500
    assert failed.json() == {"detail": "internal error: RuntimeError"}
    out = capsys.readouterr()
    text = out.out + out.err
    for leaked in (
        secret,
        "bst_wrong-99",
        "query-secret-1234",
        "c2lnbmF0dXJlLXNlY3JldA==",
        "Bearer",
    ):
        assert leaked not in text, leaked
    lines = [json.loads(line) for line in out.err.splitlines() if line.strip()]
    access = [line for line in lines if line.get("event") == "http request"]
    assert [(a["method"], a["route"], a["status"]) for a in access] == [
        ("GET", "/deals", 200),
        ("GET", "/deals", 401),
        ("POST", "/webhooks/orders/shopify", 404),
        ("GET", "/deals/{deal_id}", 404),
        ("GET", "/boom", 500),
    ]
    (failure,) = [line for line in lines if line.get("event") == "request failed"]
    assert failure["error"] == "RuntimeError" and "a bug" in failure["traceback"]
    for line in access:
        assert set(line) == {
            "event",
            "method",
            "route",
            "status",
            "duration_ms",
            "level",
            "timestamp",
        }
        assert line["duration_ms"] >= 0


def _record(answers: list[tuple[str, str, Any]], method: str, template: str, answer: Any) -> None:
    answers.append((method, template, answer))


def test_the_openapi_document_describes_every_answer(tmp_path: Path, api: Api) -> None:
    """Every status the document gives for the ops and operations routes is produced here,
    and every answer's body has the documented shape."""
    doc = api.get("/openapi.json").json()
    manager = api.token("boss@example.com", "sales_manager")
    rep = api.token(ALICE, "sales_rep")
    admin = api.token("root@example.com", "admin")
    deal = api.get("/deals", manager, stage="Lead", owner=ALICE).json()["deals"][0]["id"]
    seen: list[tuple[str, str, Any]] = []
    detail, stage = "/deals/{deal_id}", "/deals/{deal_id}/stage"
    gets = {
        "/deals": "/deals",
        "/alerts": "/alerts",
        "/forecast": "/forecast",
        "/analytics": "/analytics",
        detail: f"/deals/{deal}",
    }
    for template, url in gets.items():
        _record(seen, "GET", template, api.get(url, manager))
        _record(seen, "GET", template, api.get(url))
    _record(seen, "GET", "/deals", api.get("/deals", manager, sort="size"))
    _record(seen, "GET", "/alerts", api.get("/alerts", manager, limit=0))
    _record(seen, "GET", "/forecast", api.get("/forecast", rep))
    _record(seen, "GET", "/forecast", api.get("/forecast", manager, pipeline="nope"))
    _record(seen, "GET", "/analytics", api.get("/analytics", rep))
    _record(seen, "GET", "/analytics", api.get("/analytics", manager, **{"from": "x"}))
    _record(seen, "GET", detail, api.get("/deals/" + "x" * 65, manager))
    _record(seen, "GET", detail, api.get("/deals/unknown", manager))
    post = api.client.post
    _record(seen, "POST", stage, post(f"/deals/{deal}/stage", json={"stage": "Qualified"}))
    _record(seen, "POST", stage, post("/deals/unknown/stage", headers=manager, json={"stage": "x"}))
    _record(seen, "POST", stage, post(f"/deals/{deal}/stage", headers=rep, json={"stage": "Won"}))
    _record(
        seen, "POST", stage, post(f"/deals/{deal}/stage", headers=rep, json={"stage": "Qualified"})
    )
    for path in ("/healthz", "/readyz", "/metrics"):
        _record(seen, "GET", path, api.get(path))

    # 403: a token whose role the rules no longer have; 503: rules that cannot be read.
    fewer = write_rules(tmp_path / "fewer.yaml", without_roles=("admin",))
    database = api.container.settings.database_url
    for client in _apps(database, rules=fewer):
        for template, url in gets.items():
            _record(seen, "GET", template, client.get(url, headers=admin))
        _record(
            seen,
            "POST",
            stage,
            client.post(f"/deals/{deal}/stage", headers=admin, json={"stage": "x"}),
        )
    for client in _apps(database, rules=tmp_path / "missing.yaml"):
        for template, url in gets.items():
            _record(seen, "GET", template, client.get(url, headers=manager))
        _record(
            seen,
            "POST",
            stage,
            client.post(f"/deals/{deal}/stage", headers=manager, json={"stage": "x"}),
        )
    for client in _apps(UNREACHABLE):
        _record(seen, "GET", "/readyz", client.get("/readyz"))

    documented = {
        (method.upper(), path, int(status))
        for path, operations in doc["paths"].items()
        if not path.startswith("/webhooks")
        for method, operation in operations.items()
        for status in operation["responses"]
    }
    produced = {(m, t, a.status_code) for m, t, a in seen}
    assert produced == documented, (documented - produced, produced - documented)
    for method, template, answer in seen:
        if template == "/metrics":
            assert answer.headers["content-type"].startswith("text/plain")
            continue
        schema = response_schema(doc, method, template, answer.status_code)
        found = problems(doc, schema, answer.json())
        assert not found, (method, template, answer.status_code, found)


def _apps(database_url: str, **settings: Any) -> Iterator[TestClient]:
    container = Container(settings=load_settings(database_url=database_url, **settings))
    with TestClient(create_app(container, background=False)) as client:
        yield client
    container.close()
