"""The account's users: Brevo's `deal_owner` is a user id, and an e-mail only an alias.

Real Brevo returns `attributes.deal_owner` as a user id (24 lowercase hex characters) and
accepts the owner's account e-mail on write and in `filters[attributes.deal_owner]`. A
value that names no user of the account is refused, as Brevo could not resolve it.

Ids are fixed by the e-mail (`stable_hex`), so they are the same in every run and a rules
file or team directory that names them keeps working. E-mails compare case-insensitively,
like account logins do.

Not thread-safe by itself: `SandboxState` holds the one lock around every call.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from brevo_sync.sandbox.errors import invalid
from brevo_sync.sandbox.ids import stable_hex


def user_id_for(email: str) -> str:
    return stable_hex(f"user:{email.strip().lower()}")


class UserRegistry:
    def __init__(self, emails: Iterable[str] = ()) -> None:
        self._by_email: dict[str, tuple[str, str]] = {}  # lower-case e-mail -> (e-mail, id)
        self._ids: set[str] = set()
        for email in emails:
            self.add(email)

    def add(self, email: str) -> str:
        """Register a user (idempotent, whatever the case of the e-mail); returns its id."""
        if not isinstance(email, str) or "@" not in email or not email.strip():
            raise ValueError(f"not an e-mail address: {email!r}")
        key = email.strip().lower()
        known = self._by_email.get(key)
        if known is not None:
            return known[1]
        uid = user_id_for(key)
        self._by_email[key] = (email.strip(), uid)
        self._ids.add(uid)
        return uid

    def id_of(self, email: str) -> str | None:
        """The id of the user with this e-mail (any case), None if there is none."""
        known = self._by_email.get(email.strip().lower())
        return None if known is None else known[1]

    def resolve_owner(self, value: Any) -> str:
        """What a written `deal_owner` is stored as: the id of a registered user, given by
        e-mail or by id. Anything else is 400 invalid_parameter."""
        if isinstance(value, str):
            if value in self._ids:
                return value
            uid = self.id_of(value)
            if uid is not None:
                return uid
            raise invalid(f"deal_owner {value!r} is not a user of this account")
        raise invalid("deal_owner must be a user's e-mail address or id")

    def snapshot(self) -> dict[str, str]:
        """E-mail (as first registered) -> id, in registration order."""
        return dict(self._by_email.values())
