"""Who sees which deals, who may move them, and what a role without personal data sees.

Seed 002 "Berechtigungen", configured under `roles:`. A deal relates to a user as `own` (the
user owns it), `team` (its owner shares a team with the user) or `other`; a role's scopes say
which of these it may see and move, `all` covering every deal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from brevo_sync.domain.deal import Deal
from brevo_sync.domain.rules.config import RulesConfig

Relation = Literal["own", "team", "other"]
SYSTEM_ROLE = "system"  # brevo-sync itself: its rule-driven moves are checked by the guard only

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"^\s*(\+|00)\d[\d\s()/.-]{6,}$")


@dataclass(frozen=True, slots=True)
class Actor:
    id: str
    role: str


SYSTEM = Actor("brevo-sync", SYSTEM_ROLE)


@dataclass(frozen=True, slots=True)
class Directory:
    """Team membership (team name -> members, named by e-mail as in the rules file) and the
    e-mail of each known Brevo user id, since Brevo names deal owners by user id."""

    teams: Mapping[str, frozenset[str]] = field(default_factory=dict)
    emails: Mapping[str, str] = field(default_factory=dict)  # Brevo user id -> e-mail

    @classmethod
    def from_config(cls, config: RulesConfig, emails: Mapping[str, str] | None = None) -> Directory:
        teams = {
            name: frozenset(m.lower() for m in members) for name, members in config.teams.items()
        }
        known = {**{uid: email for email, uid in config.people.items()}, **(emails or {})}
        return cls(teams, {uid: email.lower() for uid, email in known.items()})

    def person(self, user: str | None) -> str | None:
        """One spelling per person: the e-mail when the user id is known, else as given."""
        if user is None:
            return None
        return self.emails.get(user, user).lower()

    def teams_of(self, user: str | None) -> frozenset[str]:
        who = self.person(user)
        if who is None:
            return frozenset()
        return frozenset(name for name, members in self.teams.items() if who in members)


def relation(actor: Actor, owner: str | None, directory: Directory) -> Relation:
    if owner is not None and directory.person(owner) == directory.person(actor.id):
        return "own"
    if directory.teams_of(actor.id) & directory.teams_of(owner):
        return "team"
    return "other"


def can_see(config: RulesConfig, actor: Actor, deal: Deal, directory: Directory) -> bool:
    if actor.role == SYSTEM_ROLE:
        return True
    role = config.roles.get(actor.role)
    if role is None:
        return False
    return "all" in role.see or relation(actor, deal.owner, directory) in role.see


@dataclass(frozen=True, slots=True)
class MovePermission:
    reasons: tuple[str, ...] = ()
    notify_original_seller: bool = False

    @property
    def allowed(self) -> bool:
        return not self.reasons


def move_permission(
    config: RulesConfig,
    actor: Actor,
    deal: Deal,
    directory: Directory,
    reason: str | None = None,
) -> MovePermission:
    """May `actor` change the stage of `deal`? Seed 002 "Wer darf Stage ändern?"."""
    if actor.role == SYSTEM_ROLE:
        return MovePermission()
    role = config.roles.get(actor.role)
    if role is None:
        return MovePermission((f"{actor.id} has the role {actor.role!r}, which is not configured",))
    if not role.move:
        return MovePermission((f"the role {actor.role} may not change the stage of any deal",))
    rel = relation(actor, deal.owner, directory)
    reasons: list[str] = []
    if "all" not in role.move and rel not in role.move:
        whose = (
            "deals they own"
            if role.move == ("own",)
            else " and ".join(
                "their own deals" if s == "own" else "their team's deals" for s in role.move
            )
        )
        owner = deal.owner or "nobody"
        reasons.append(
            f"{actor.id} ({actor.role}) may change the stage only of {whose}; "
            f"this deal belongs to {owner}"
        )
    needs_reason = rel in role.reason_for
    if needs_reason and not (reason and reason.strip()):
        reasons.append(
            f"{actor.id} ({actor.role}) must give a reason to move a deal of {deal.owner}"
        )
    notify = bool(role.notify_original_seller and rel != "own" and deal.owner)
    return MovePermission(tuple(reasons), notify)


def project_for(config: RulesConfig, actor: Actor, deal: Deal) -> Deal:
    """The deal as `actor` may see it: without personal data for roles that must not see it."""
    role = config.roles.get(actor.role)
    if role is not None and not role.personal_data:
        return viewer_projection(config, deal)
    return deal


def viewer_projection(config: RulesConfig, deal: Deal) -> Deal:
    """Seed 002 Viewer "keine PII": no contact names, emails or phone numbers.

    Removes the configured attributes, every attribute whose name contains a personal pattern,
    and every value that looks like an email address or an international phone number. The
    linked contact ids go too (they lead to persons); their count stays for statistics.
    """
    privacy = config.privacy
    dropped = {a.casefold() for a in privacy.personal_attributes}
    patterns = [p.casefold() for p in privacy.personal_patterns]
    kept: dict[str, Any] = {}
    for key, value in deal.attributes.items():
        folded = key.casefold()
        if folded in dropped or any(p in folded for p in patterns) or _personal_value(value):
            continue
        kept[key] = value
    kept.setdefault("number_of_contacts", len(deal.contact_ids))
    name = f"Deal {deal.id}" if privacy.redact_deal_name else deal.name
    if name is not None and _personal_value(name):
        name = f"Deal {deal.id}"
    if "deal_name" in kept:  # Brevo's own copy of the name (seed 001: the contact's name)
        kept["deal_name"] = name
    owner = None if deal.owner and _personal_value(deal.owner) else deal.owner
    return replace(deal, name=name, owner=owner, attributes=kept, contact_ids=())


def _personal_value(value: Any) -> bool:
    if isinstance(value, str):
        return bool(_EMAIL.search(value) or _PHONE.match(value))
    if isinstance(value, list | tuple):
        return any(_personal_value(v) for v in value)
    if isinstance(value, dict):
        return any(_personal_value(v) for v in value.values())
    return False
