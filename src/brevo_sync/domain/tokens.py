"""Bearer tokens of the ops API: who a token stands for (a user, a role of the rules file,
a team) and how it is kept.

A token is shown once, when it is made (`brevo-sync tokens add`); the mirror keeps only its
SHA-256, so a copy of the database lets nobody in. Tokens are long random strings, so a plain
hash (no salt, no stretching) is enough: there is no dictionary to guess them from.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from brevo_sync.domain.rules.permissions import Actor

# Tokens start with this, so secret scanners and people recognise one in a paste.
TOKEN_PREFIX = "bst_"  # noqa: S105 (a prefix, not a secret)


def hash_token(secret: str) -> str:
    """The stored form of a token: SHA-256, hex (64 characters)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A token as the mirror keeps it (never the token itself)."""

    name: str
    user_email: str
    role: str  # a role of the rules file (`roles:`)
    team: str | None
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    id: int | None = None  # given by the store

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def actor(self) -> Actor:
        """Who a request made with this token acts as, for the rules' permissions."""
        return Actor(self.user_email, self.role)
