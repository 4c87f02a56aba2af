"""Who calls the ops API: `Authorization: Bearer <token>` -> the token's person, role, team.

The ops API reads the mirror and never spends Brevo's budget: its context says Brevo is not
to be asked (an owner e-mail the mirror does not know is a 422 naming what to do, instead of
a request to Brevo inside an HTTP request).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from brevo_sync.bootstrap import Container
from brevo_sync.domain.tokens import ApiToken
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.tokens import authenticate

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="A token made by `brevo-sync tokens add` (a person, a role, a team).",
)


def ops_context(request: Request) -> ServiceContext:
    container: Container = request.app.state.container
    return replace(container.context, brevo_configured=False)


def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> ApiToken:
    """The active token of the request (401 without one, 403 with a role the rules lost)."""
    secret = credentials.credentials if credentials is not None else None
    return authenticate(ops_context(request), secret)


Caller = Annotated[ApiToken, Depends(caller)]
Context = Annotated[ServiceContext, Depends(ops_context)]
