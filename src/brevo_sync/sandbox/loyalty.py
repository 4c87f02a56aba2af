"""Loyalty: enrolment, point transactions (draft -> completed | cancelled) and tiers.

One program is seeded (ids in `catalogue`). Business-rule refusals are 422, as the README
documents for crediting a contact that is not enrolled and for completing twice; the
other 422s (enrolling twice, cancelling a completed transaction, debiting more than the
balance) are the sandbox's assumption, chosen to be strict.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from brevo_sync.sandbox.catalogue import (
    LOYALTY_BALANCE_DEFINITION_ID,
    LOYALTY_PROGRAM_ID,
    loyalty_tiers,
)
from brevo_sync.sandbox.clock import format_ms
from brevo_sync.sandbox.errors import invalid, missing, not_found, unprocessable
from brevo_sync.sandbox.ids import stable_uuid

ORGANIZATION_ID = 1234567


class LoyaltyStore:
    def __init__(self) -> None:
        self.programs = {LOYALTY_PROGRAM_ID: LOYALTY_BALANCE_DEFINITION_ID}
        self.tiers = {LOYALTY_PROGRAM_ID: loyalty_tiers()}
        self.subscriptions: dict[tuple[str, int], dict[str, Any]] = {}
        self.transactions: dict[str, dict[str, Any]] = {}
        self.balances: dict[tuple[str, int], float] = {}
        self.contact_tiers: dict[tuple[str, int], str] = {}
        self._counter = 0

    def _program(self, pid: str) -> str:
        if pid not in self.programs:
            raise not_found()
        return self.programs[pid]

    def _next_id(self, kind: str) -> str:
        self._counter += 1
        return stable_uuid(f"loyalty:{kind}:{self._counter}")

    def _enrolled(self, pid: str, contact_id: int) -> None:
        if (pid, contact_id) not in self.subscriptions:
            raise unprocessable(f"Contact {contact_id} is not subscribed to program {pid}")

    def subscribe(self, pid: str, body: Mapping[str, Any], now_ms: int) -> dict[str, Any]:
        self._program(pid)
        contact_id = _contact(body.get("contactId"))
        if (pid, contact_id) in self.subscriptions:
            raise unprocessable(f"Contact {contact_id} is already subscribed to program {pid}")
        stamp = format_ms(now_ms)
        sub = {
            "contactId": contact_id,
            "createdAt": stamp,
            "loyaltyProgramId": pid,
            "loyaltySubscriptionId": str(body.get("loyaltySubscriptionId") or f"SUB-{contact_id}"),
            "organizationId": ORGANIZATION_ID,
            "updatedAt": stamp,
            "versionId": 1,
        }
        self.subscriptions[(pid, contact_id)] = sub
        self.balances.setdefault((pid, contact_id), 0.0)
        return sub

    def create_transaction(self, pid: str, body: Mapping[str, Any], now_ms: int) -> dict[str, Any]:
        definition = self._program(pid)
        amount = body.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int | float) or amount <= 0:
            raise invalid("amount must be a positive number")
        if not body.get("balanceDefinitionId"):
            raise missing("balanceDefinitionId is required")
        if body["balanceDefinitionId"] != definition:
            raise invalid(f"balanceDefinitionId {body['balanceDefinitionId']} not found")
        contact_id = _contact(body.get("contactId"))
        kind = body.get("transactionType") or "credit"
        if kind not in ("credit", "debit"):
            raise invalid("transactionType must be credit or debit")
        meta = body.get("meta") or {}
        if not isinstance(meta, dict):
            raise invalid("meta must be an object")
        self._enrolled(pid, contact_id)
        stamp = format_ms(now_ms)
        tx: dict[str, Any] = {
            "id": self._next_id("transaction"),
            "amount": amount,
            "balanceDefinitionId": definition,
            "contactId": contact_id,
            "loyaltyProgramId": pid,
            "transactionType": kind,
            "status": "draft",
            "meta": copy.deepcopy(meta),
            "eventTime": body.get("eventTime") or stamp,
            "createdAt": stamp,
            "updatedAt": stamp,
        }
        self.transactions[tx["id"]] = tx
        if body.get("autoComplete"):
            return self.complete(pid, tx["id"], now_ms)
        return tx

    def complete(self, pid: str, tid: str, now_ms: int) -> dict[str, Any]:
        tx = self._transaction(pid, tid)
        if tx["status"] != "draft":
            raise unprocessable(f"Transaction {tid} is already {tx['status']}")
        key = (pid, int(tx["contactId"]))
        sign = 1 if tx["transactionType"] == "credit" else -1
        if self.balances.get(key, 0.0) + sign * tx["amount"] < 0:
            raise unprocessable("Insufficient balance")
        self.balances[key] = self.balances.get(key, 0.0) + sign * tx["amount"]
        tx.update(status="completed", completedAt=format_ms(now_ms), updatedAt=format_ms(now_ms))
        return tx

    def cancel(self, pid: str, tid: str, now_ms: int) -> dict[str, Any]:
        tx = self._transaction(pid, tid)
        if tx["status"] != "draft":
            raise unprocessable(f"Transaction {tid} is already {tx['status']}")
        tx.update(status="cancelled", cancelledAt=format_ms(now_ms), updatedAt=format_ms(now_ms))
        return tx

    def _transaction(self, pid: str, tid: str) -> dict[str, Any]:
        self._program(pid)
        tx = self.transactions.get(tid)
        if tx is None or tx["loyaltyProgramId"] != pid:
            raise not_found()
        return tx

    def history(self, pid: str, params: Mapping[str, str]) -> dict[str, Any]:
        """`GET .../transaction-history?contactId&balanceDefinitionId`: the contact's
        transactions on that balance, `sort` by `createdAt` (default desc), `status` and
        `transactionType` filters, `offset` (taken as an item index; Brevo's "page number"
        wording is unverified) and `limit` (default 50)."""
        definition = self._program(pid)
        contact_id = _contact(params.get("contactId"))
        wanted = params.get("balanceDefinitionId")
        if not wanted:
            raise missing("balanceDefinitionId is required")
        if wanted != definition:
            raise invalid(f"balanceDefinitionId {wanted} not found")
        items = [
            copy.deepcopy(tx)
            for tx in self.transactions.values()
            if tx["loyaltyProgramId"] == pid and tx["contactId"] == contact_id
        ]
        for name, key in (("status", "status"), ("transactionType", "transactionType")):
            if params.get(name):
                items = [tx for tx in items if tx[key] == params[name]]
        if params.get("sort", "desc") == "desc":
            items.reverse()  # stored in creation order
        offset, limit = _number(params, "offset", 0), _number(params, "limit", 50)
        return {
            "balanceDefinitionId": definition,
            "contactId": contact_id,
            "loyaltyProgramId": pid,
            "transactionHistory": items[offset : offset + limit],
        }

    def list_tiers(self, pid: str) -> dict[str, Any]:
        self._program(pid)
        return {"items": self.tiers[pid]}

    def assign_tier(self, pid: str, contact_id: str, tid: str, now_ms: int) -> dict[str, Any]:
        self._program(pid)
        tier = next((t for t in self.tiers[pid] if t["tierId"] == tid), None)
        if tier is None:
            raise not_found()
        cid = _contact(contact_id)
        self._enrolled(pid, cid)
        self.contact_tiers[(pid, cid)] = tid
        stamp = format_ms(now_ms)
        return {
            "id": self._next_id("tier-assignment"),
            "contactId": cid,
            "tierId": tid,
            "groupId": tier["groupId"],
            "loyaltyProgramId": pid,
            "meta": {},
            "createdAt": stamp,
            "updatedAt": stamp,
        }


def _number(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise invalid(f"{name} must be a non-negative integer")
    return int(raw)


def _contact(value: Any) -> int:
    """Contact ids are integers; path segments arrive as text."""
    if value is None:
        raise missing("contactId is required")
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise invalid("contactId must be a positive integer")
    return value
