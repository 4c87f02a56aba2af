"""`brevo-sync demo` on a fresh folder, then the mirror it leaves behind."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.e2e.conftest import Cli


def test_demo_runs_end_to_end_and_leaves_its_mirror(offline_cli: Cli) -> None:
    env = {k: v for k, v in offline_cli.env.items() if k != "BREVO_SYNC_DATABASE_URL"}
    cli = Cli(env=env, cwd=offline_cli.cwd)
    result = cli("demo", "--deals", "150")
    assert result.returncode == 0, result.stderr
    assert "Pulled 150 deals (full read)" in result.stdout
    assert "incremental" in result.stdout
    assert "looked up 6 sellers by e-mail in 6 requests" in result.stdout
    assert (offline_cli.cwd / "brevo_sync.db").exists()
    swept = re.search(r"Rules sweep over the mirror: (\d+) alerts raised", result.stdout)
    assert swept is not None and int(swept.group(1)) > 0

    listed = cli("deals", "list", "--limit", "0", "--json")
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == 150

    again = cli("demo", "--deals", "150", "--json")
    assert again.returncode == 0, again.stderr
    doc = json.loads(again.stdout)
    assert doc["deals_mirrored"] == 150
    assert doc["incremental_pull"]["deals_written"] == 3
    assert doc["incremental_pull"]["requests_total"] <= 2
    assert doc["sellers_looked_up"] == {"people": 0, "requests": {}}  # known since the first run
    assert (
        doc["incremental_pull"]["stage_changes"] == 1 and doc["incremental_pull"]["decisions"] >= 1
    )
    # The write path: an operator's move, a plan that spends nothing, a push that sends it all.
    assert doc["advanced"]["change"] == "NEW_LEAD -> QUALIFICATION"
    assert doc["push"]["dead"] == 0 and doc["push"]["sent"] >= 2
    assert doc["push"]["requests_total"] == doc["plan"]["crm_requests"]
    # It ends with the sales team's view: the forecast and a self-contained report page.
    assert doc["forecast"]["count"] > 0 and doc["forecast"]["by_stage"]
    page = Path(doc["report"]).read_text(encoding="utf-8")
    assert (
        "Sales pipeline report" in page and "<svg" in page and "http" not in page.split("<body")[0]
    )
    # Alerts are raised once per crossing: the second sweep finds (almost) nothing new.
    assert sum(doc["rules_sweep"]["raised"].values()) < int(swept.group(1))
