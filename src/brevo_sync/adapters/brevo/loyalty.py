"""Brevo's loyalty API: enrolment, point credits, tiers (a mixin of `SdkBrevoGateway`).

`/loyalty/*` is its own rate-limit bucket (600 requests an hour, `budget.bucket_for`), so
loyalty calls never spend the scarce CRM budget. Enrolling, assigning a tier and completing
a transaction are POSTs that change nothing when repeated, so they are retried like PATCHes.
Opening a transaction is not: Brevo has no idempotency key for it, so after an unclear
outcome it raises `BrevoOutcomeUnknown`. Two ways to credit exactly once:

- `loyalty_begin` (a draft, which credits nothing) then `loyalty_complete` (repeatable): a
  lost draft is harmless, so after an unclear begin simply begin again;
- `loyalty_credit` (`autoComplete`, one request): after an unclear outcome, look for the
  transaction (`loyalty_transactions`, matched by `meta`) before crediting again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import brevo

from brevo_sync.adapters.brevo.bodies import created_id, json_dict, json_items
from brevo_sync.adapters.brevo.calls import BrevoCaller
from brevo_sync.domain.sync import RawRecord
from brevo_sync.errors import BrevoBadRequest, BrevoError

_PROGRAM = "/loyalty/config/programs/{pid}"
_BALANCE = "/loyalty/balance/programs/{pid}"
_TIER = "/loyalty/tier/programs/{pid}"
_HISTORY_LIMIT = 100


def already_enrolled(exc: BrevoBadRequest) -> bool:
    """Brevo's 422 for enrolling a contact twice ("Subscription for this contact already
    exists"; the sandbox says "already subscribed")."""
    text = str(exc).lower()
    return "already exists" in text or "already subscribed" in text or "already enrolled" in text


def already_completed(exc: BrevoBadRequest) -> bool:
    """A refusal to complete a transaction that is completed already (the sandbox: "is
    already completed"; Brevo: "transaction is already closed", see `loyalty_complete`)."""
    text = str(exc).lower()
    if any(word in text for word in ("cancel", "expire", "reject")):
        return False
    return "already completed" in text or "already closed" in text


class LoyaltyCalls:
    """Needs `_sdk` and `_caller` (see SdkBrevoGateway)."""

    _sdk: brevo.Brevo
    _caller: BrevoCaller

    def loyalty_subscribe(self, program_id: str, contact_id: int) -> None:
        """Enrol a contact (`POST /loyalty/config/programs/{pid}/subscriptions`); a contact
        already enrolled is success. Safe to repeat, so retried after a 5xx or lost answer."""
        raw = self._sdk.program.with_raw_response
        try:
            self._caller.call(
                "POST",
                f"{_PROGRAM}/subscriptions",
                lambda: (
                    raw.subscribe_to_loyalty_program(program_id, contact_id=contact_id).response
                ),
                path=f"/loyalty/config/programs/{program_id}/subscriptions",
                idempotent=True,
            )
        except BrevoBadRequest as exc:
            if not already_enrolled(exc):
                raise

    def loyalty_credit(
        self,
        program_id: str,
        *,
        balance_id: str,
        contact_id: int,
        amount: float,
        meta: Mapping[str, Any],
    ) -> str:
        """Credit `amount` points and complete at once (`autoComplete`); returns the
        transaction id. Put the deal id and milestone in `meta`: it is what a later lookup
        (`loyalty_transactions`) matches on.

        Never repeated after Brevo may have received it: BrevoOutcomeUnknown (5xx, read
        timeout, dropped connection, a 2xx without an id). A contact that is not enrolled
        is a BrevoBadRequest (422): enrol, then credit. A transaction Brevo answers as
        `rejected` (a balance limit) is a BrevoBadRequest naming the reason."""
        return self._begin(program_id, balance_id, contact_id, amount, meta, complete=True)

    def loyalty_begin(
        self,
        program_id: str,
        *,
        balance_id: str,
        contact_id: int,
        amount: float,
        meta: Mapping[str, Any],
    ) -> str:
        """Open a credit transaction without completing it (a draft credits nothing until
        `loyalty_complete`); returns its id. The two-step way to credit exactly once: keep
        the id, then complete it, which is safe to repeat.

        Not repeated by the gateway after an unclear outcome (BrevoOutcomeUnknown), but
        beginning again is harmless: a draft nobody completes credits nothing (Brevo lets
        it expire; the sandbox keeps it as a draft). Refusals as for `loyalty_credit`."""
        return self._begin(program_id, balance_id, contact_id, amount, meta, complete=False)

    def loyalty_complete(self, program_id: str, transaction_id: str) -> None:
        """Complete a draft transaction (`POST .../transactions/{tid}/complete`, no body).

        Safe to repeat, so retried after a 5xx or a lost answer; a transaction that is
        completed already counts as done. Assumption: Brevo's refusal "transaction is
        already closed" (its documented 417 for a second completion) means completed, as
        the only way this adapter closes a transaction is by completing it; a transaction
        that was cancelled, expired or rejected raises BrevoBadRequest."""
        raw = self._sdk.balance.with_raw_response
        template = f"{_BALANCE}/transactions/{{tid}}/complete"
        try:
            self._caller.call(
                "POST",
                template,
                lambda: raw.complete_transaction(program_id, transaction_id).response,
                path=f"/loyalty/balance/programs/{program_id}/transactions/{transaction_id}"
                "/complete",
                idempotent=True,
            )
        except BrevoBadRequest as exc:
            if not already_completed(exc):
                raise

    def _begin(
        self,
        program_id: str,
        balance_id: str,
        contact_id: int,
        amount: float,
        meta: Mapping[str, Any],
        *,
        complete: bool,
    ) -> str:
        if isinstance(amount, bool) or not amount > 0:
            raise ValueError("amount must be a positive number of points")
        template = f"{_BALANCE}/transactions"
        endpoint = f"POST {template}"
        raw = self._sdk.balance.with_raw_response
        response = self._caller.call(
            "POST",
            template,
            lambda: (
                raw.begin_transaction(
                    program_id,
                    amount=amount,
                    balance_definition_id=balance_id,
                    contact_id=contact_id,
                    transaction_type="credit",
                    auto_complete=complete,
                    meta=dict(meta),
                ).response
            ),
            path=f"/loyalty/balance/programs/{program_id}/transactions",
        )
        transaction_id = created_id(response, endpoint)
        body = response.json()
        if isinstance(body, dict) and body.get("status") == "rejected":
            reason = body.get("rejectReason") or "no reason given"
            raise BrevoBadRequest(
                f"{endpoint}: transaction {transaction_id} rejected: {reason}",
                status=response.status_code,
                endpoint=endpoint,
            )
        return transaction_id

    def loyalty_transactions(
        self, program_id: str, *, contact_id: int, balance_id: str
    ) -> list[RawRecord]:
        """The contact's latest transactions on that balance, newest first (up to 100):
        `GET /loyalty/balance/programs/{pid}/transaction-history`. How an unclear credit is
        resolved: a transaction whose `meta` carries our key means it went through."""
        template = f"{_BALANCE}/transaction-history"
        raw = self._sdk.balance.with_raw_response
        response = self._caller.call(
            "GET",
            template,
            lambda: (
                raw.get_transaction_history_api(
                    program_id,
                    contact_id=contact_id,
                    balance_definition_id=balance_id,
                    limit=_HISTORY_LIMIT,
                    sort_field="createdAt",
                    sort="desc",
                ).response
            ),
            path=f"/loyalty/balance/programs/{program_id}/transaction-history",
        )
        body = json_dict(response, f"GET {template}")
        items = body.get("transactionHistory") or []
        if not isinstance(items, list):
            raise BrevoError(
                f"GET {template}: HTTP {response.status_code} with a transactionHistory "
                "that is not a list",
                status=response.status_code,
                endpoint=f"GET {template}",
            )
        return items

    def loyalty_assign_tier(self, program_id: str, contact_id: int, tier_id: str) -> None:
        """Put a contact in a tier (`POST .../contacts/{cid}/tiers/{tid}`, no body). Assigning
        the same tier again changes nothing, so it is retried like a PATCH."""
        raw = self._sdk.tier.with_raw_response
        self._caller.call(
            "POST",
            f"{_TIER}/contacts/{{cid}}/tiers/{{tid}}",
            lambda: raw.add_subscription_to_tier(program_id, str(contact_id), tier_id).response,
            path=f"/loyalty/tier/programs/{program_id}/contacts/{contact_id}/tiers/{tier_id}",
            idempotent=True,
        )

    def loyalty_tiers(self, program_id: str) -> list[RawRecord]:
        """The program's tiers (`GET /loyalty/tier/programs/{pid}/tiers` -> `{items}`), each
        with `tierId`, `name` and `accessConditions[{balanceDefinitionId, minimumValue}]`."""
        raw = self._sdk.tier.with_raw_response
        template = f"{_TIER}/tiers"
        response = self._caller.call(
            "GET",
            template,
            lambda: raw.get_loyalty_program_tier(program_id).response,
            path=f"/loyalty/tier/programs/{program_id}/tiers",
        )
        return json_items(response, f"GET {template}")
