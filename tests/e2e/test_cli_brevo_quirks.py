"""`brevo-sync pull` against a sandbox as odd as the real Brevo: unknown page maximum (clamp,
refuse, honour, auto), a server that repeats a page, dates with offsets, owner ids,
message-only errors, no rate-limit headers. Request counts are pinned as the sandbox saw them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from brevo_sync.sandbox import SandboxServer
from tests.e2e.conftest import SANDBOX_DEALS, Cli, mirror_rows, sandbox_rows

LIST = "GET /crm/deals"


def _pull(cli: Cli, **env: str) -> tuple[dict[str, Any], str]:
    result = cli("pull", "--json", env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def _list_calls(sandbox: SandboxServer) -> int:
    return int(sandbox.state.stats.snapshot()["by_endpoint"].get(LIST, 0))


# (quirks, BREVO_SYNC_PAGE_SIZE, list calls of the first full pull of 250 deals, what is learned)
PAGING = [
    # Honours any size: pages 100, 100, 50; the first full page proves the size.
    ({"max_page_limit": None}, "100", 3, None),
    # Cuts pages to 50 silently: the second page proves the cut; no request is wasted.
    ({"max_page_limit": 50, "over_limit": "clamp"}, "100", 6, "clamped at 50"),
    # Refuses 100 with a 400 naming 50: one refused request, then pages of 50.
    ({"max_page_limit": 50, "over_limit": "refuse"}, "100", 7, "refused at 50"),
    # `auto` asks for 1,000; refused, it takes the 100 the error names: 1 + 3.
    ({}, "auto", 4, "refused at 100"),
    # `auto` with no maximum: one page of all 250, and one request to prove it was the end.
    ({"max_page_limit": None}, "auto", 2, None),
]


@pytest.mark.parametrize(("quirks", "size", "calls", "learned"), PAGING)
def test_page_size_is_learned_and_kept(
    cli: Cli,
    sandbox: SandboxServer,
    quirks: dict[str, Any],
    size: str,
    calls: int,
    learned: str | None,
) -> None:
    sandbox.state.set_quirks(**quirks)
    report, stderr = _pull(cli, BREVO_SYNC_PAGE_SIZE=size)
    assert report["deals_read"] == SANDBOX_DEALS
    assert mirror_rows(cli.database_url) == sandbox_rows(sandbox.state)
    assert _list_calls(sandbox) == calls == report["requests"][LIST]
    assert "429" not in sandbox.state.stats.snapshot()["by_status"]
    assert report["page_size_learned"] == learned
    assert (learned is not None) == ("deals a page for this account" in stderr)

    sandbox.state.stats.reset()
    again, stderr = _pull(cli, BREVO_SYNC_PAGE_SIZE=size)  # kept: no refusal, no warning
    assert again["requests"] == {LIST: 1} and again["page_size_learned"] is None
    assert "deals a page for this account" not in stderr
    status = json.loads(cli("status", "--json").stdout)
    expected_ceiling = int(learned.rsplit(" ", 1)[1]) if learned else None
    assert status["paging"]["ceiling"] == expected_ceiling


def test_a_server_that_repeats_a_page_stops_the_pull(cli: Cli, sandbox: SandboxServer) -> None:
    sandbox.state.faults.repeat_from(2, path_prefix="/crm/deals", method="GET")
    result = cli("pull")
    assert result.returncode == 1
    (line,) = [ln for ln in result.stderr.splitlines() if ln.startswith("brevo-sync:")]
    assert "Brevo returned the same page twice at offset 100" in line
    assert len(mirror_rows(cli.database_url)) == 100  # the first page is kept
    assert _list_calls(sandbox) == 2  # no loop

    sandbox.state.faults.clear()
    resumed, _ = _pull(cli)
    assert resumed["resumed"] is True
    assert mirror_rows(cli.database_url) == sandbox_rows(sandbox.state)


def test_dates_keep_their_calendar_day_and_timestamps_become_utc(
    cli: Cli, sandbox: SandboxServer
) -> None:
    sandbox.state.set_quirks(date_offset="+05:30")
    _pull(cli)
    engine = sa.create_engine(cli.database_url)
    with engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(sa.text("SELECT * FROM deals"))}
    engine.dispose()
    for deal in sandbox.state.deals_snapshot():  # stored in UTC, served in +05:30
        attrs = deal["attributes"]
        row = rows[deal["id"]]
        assert row.close_date == attrs["close_date"][:10]  # the day as written, not the day before
        created = datetime.fromisoformat(attrs["created_at"].replace("Z", "+00:00"))
        assert row.created_at == created.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def test_owners_are_mirrored_as_user_ids(cli: Cli, sandbox: SandboxServer) -> None:
    _pull(cli)
    users = set(sandbox.state.users_snapshot().values())
    owners = set(mirror_rows(cli.database_url, ("id", "owner")).values())
    assert owners and {o for (o,) in owners} <= users


def test_message_only_errors_still_name_the_setting(cli: Cli, sandbox: SandboxServer) -> None:
    sandbox.state.set_quirks(error_style="message_only")
    result = cli("pull", env={"BREVO_API_KEY": "xkeysib-wrong-key-42"})
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("brevo-sync: BREVO_API_KEY:") and "Key not found" in line
    assert "xkeysib-wrong-key-42" not in result.stderr


def test_without_rate_limit_headers_the_local_ceiling_applies(
    cli: Cli, sandbox: SandboxServer
) -> None:
    sandbox.state.set_quirks(rate_limit_headers=False)
    report, _ = _pull(cli, BREVO_SYNC_REQUESTS_PER_HOUR="40")
    status = json.loads(cli("status", "--json").stdout)
    assert status["budget"]["source"] == "local"
    assert status["budget"]["limit"] == 40
    assert status["budget"]["remaining"] == 40 - report["requests_total"]
    text = cli("status", env={"BREVO_SYNC_REQUESTS_PER_HOUR": "40"}).stdout
    assert "local ceiling" in text and "BREVO_SYNC_REQUESTS_PER_HOUR=40" in text

    sandbox.state.set_quirks(rate_limit_headers=True)
    _pull(cli)
    assert json.loads(cli("status", "--json").stdout)["budget"]["source"] == "brevo"
