"""The ops API's test bed: a real SQLite mirror filled by one pull from the sandbox (once,
then copied for each test; the fixtures are in conftest.py), rules with two teams, and the
app under TestClient.

    north: alice (sales rep), bruno        south: chloe, david        no team: eva, farid

One deal carries personal data (a customer's e-mail, phone and name, linked contacts), for
what a Viewer must not see.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient

import brevo_sync
from brevo_sync.bootstrap import Container
from brevo_sync.config import load_settings
from brevo_sync.entrypoints.web import create_app
from brevo_sync.sandbox import SandboxServer, SandboxState
from brevo_sync.sandbox.users import user_id_for
from brevo_sync.service.pull import pull_deals
from brevo_sync.service.tokens import add_token

ALICE, BRUNO = "alice.martin@example.com", "bruno.keller@example.com"
CHLOE, DAVID = "chloe.dubois@example.com", "david.nguyen@example.com"
EVA = "eva.rossi@example.com"
TEAMS = {"north": [ALICE, BRUNO], "south": [CHLOE, DAVID]}
CUSTOMER_EMAIL = "anna.schmidt@customer.test"
CUSTOMER_PHONE = "+49 170 1234567"
PERSONAL_DEAL = "Anna Schmidt"
EMAIL = re.compile(r"[^@\s\"]+@[^@\s\"]+\.[a-z]{2,}")
DEALS = 120


def packaged_rules() -> dict[str, Any]:
    path = Path(brevo_sync.__file__).parent / "defaults" / "rules.yaml"
    loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


def write_rules(path: Path, *, without_roles: tuple[str, ...] = ()) -> Path:
    rules = packaged_rules()
    rules["teams"] = TEAMS
    rules["people"] = {EVA: user_id_for(EVA)}  # known by id: no lookup needed
    for role in without_roles:
        rules["roles"].pop(role)
    path.write_text(yaml.safe_dump(rules, sort_keys=False), encoding="utf-8")
    return path


@dataclass
class Template:
    """The pulled mirror every test copies, and the rules it was pulled under."""

    database: Path
    rules: Path
    sandbox: SandboxState
    personal_deal: str


def build_template(folder: Path) -> Template:
    rules = write_rules(folder / "rules.yaml")
    database = folder / "template.db"
    state = SandboxState.seeded(seed=11, deals=DEALS)
    for label in ("email", "phone", "contact_name"):
        state.create_attribute({"label": label, "attributeType": "text", "objectType": "deals"})
    personal = state.create_deal(
        PERSONAL_DEAL,
        attributes={
            "deal_owner": ALICE,
            "email": CUSTOMER_EMAIL,
            "phone": CUSTOMER_PHONE,
            "contact_name": "Anna Schmidt",
            "amount": 4200,
            "deal_currency": "EUR",
        },
        linked_contacts=[7, 8],
    )
    with SandboxServer(state) as server:
        settings = load_settings(
            database_url=f"sqlite:///{database}",
            api_key=state.api_key,
            base_url=server.base_url,
            rules=rules,
        )
        container = Container(settings=settings)
        try:
            pull_deals(container.context, full=True)
        finally:
            container.close()  # the last connection closes: the WAL is in the file
    return Template(database, rules, state, personal)


@dataclass
class Api:
    """One test's app over its own copy of the pulled mirror."""

    client: TestClient
    container: Container
    template: Template
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, user: str, role: str, team: str | None = None) -> dict[str, str]:
        """Headers with a new token for `user` (one per user and role)."""
        key = f"{user}:{role}"
        if key not in self.tokens:
            issued = add_token(self.container.context, key, user=user, role=role, team=team)
            self.tokens[key] = issued.secret
        return {"Authorization": f"Bearer {self.tokens[key]}"}

    def get(self, url: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
        return self.client.get(url, headers=headers, params=params or None)


def open_api(folder: Path, template: Template, **settings: Any) -> Iterator[Api]:
    database = folder / "mirror.db"
    shutil.copyfile(template.database, database)
    options: dict[str, Any] = {"database_url": f"sqlite:///{database}", "rules": template.rules}
    container = Container(settings=load_settings(**{**options, **settings}))
    with TestClient(create_app(container, background=False)) as client:
        yield Api(client, container, template)
    container.close()
