"""`SdkBrevoGateway`: the `BrevoGateway` port over the official SDK, with our own counting,
budgeting, retrying and error mapping around every call.

Every SDK call goes through `with_raw_response`, because the rate-limit and `Date` headers are
only on the raw response, and the records handed back are the response's own JSON, so fields the
SDK's models do not know survive untouched. The hot `GET /crm/deals` skips the SDK altogether
(see `raw.py`); it goes through the same `httpx.Client`, so both share timeouts and headers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any

import brevo
import httpx

from brevo_sync.adapters.brevo.bodies import json_dict, json_list
from brevo_sync.adapters.brevo.budget import CRM, RequestBudget, ages_of
from brevo_sync.adapters.brevo.calls import BrevoCaller
from brevo_sync.adapters.brevo.crm_writes import CrmWrites
from brevo_sync.adapters.brevo.deal_import import DealImports
from brevo_sync.adapters.brevo.errors import BrevoOutcomeUnknown
from brevo_sync.adapters.brevo.headers import parse_http_date
from brevo_sync.adapters.brevo.loyalty import LoyaltyCalls
from brevo_sync.adapters.brevo.raw import QueryValue, get_raw
from brevo_sync.adapters.brevo.retry import RetryPolicy
from brevo_sync.adapters.brevo.times import format_since
from brevo_sync.domain.budget import BudgetSnapshot, RequestCounter
from brevo_sync.domain.sync import DealPage, RawRecord
from brevo_sync.errors import BrevoError

# The SDK leaves a field out of a request body only when it is its OMIT sentinel (`...`);
# None would be sent as JSON null, and a null `linkedContactsIds` on PATCH empties the list.
_OMIT: Any = ...


class SdkBrevoGateway(CrmWrites, LoyaltyCalls, DealImports):
    """Implements `brevo_sync.service.ports.BrevoGateway` (plus the writes: deals here; tasks,
    notes, companies and attributes in `crm_writes.py`; loyalty in `loyalty.py`; the bulk
    import in `deal_import.py`).

    Each call: wait for the budget if needed, send, count what got an answer, read the
    rate-limit headers (errors too), retry what is safe to retry, and map the final failure to
    `brevo_sync.errors`. A create (POST) that may have reached Brevo is never repeated: it
    raises `BrevoOutcomeUnknown`."""

    def __init__(
        self,
        *,
        sdk: brevo.Brevo,
        http_client: httpx.Client,
        api_key: str,
        base_url: str,
        budget: RequestBudget,
        retry: RetryPolicy,
        logger: Any | None = None,
    ) -> None:
        self._sdk = sdk
        self._http = http_client
        self._api_key = api_key
        self._base_url = base_url.rstrip("/")
        self._budget = budget
        self._requests = RequestCounter()
        self._caller = BrevoCaller(
            budget=budget,
            retry=retry,
            requests=self._requests,
            api_key=api_key,
            base_url=self._base_url,
            logger=logger,
        )

    # -- port properties -------------------------------------------------------------------

    @property
    def requests(self) -> RequestCounter:
        return self._requests

    @property
    def budget(self) -> BudgetSnapshot:
        """The CRM window (every call of this gateway is in that bucket)."""
        return self._budget.snapshot()

    @property
    def request_budget(self) -> RequestBudget:
        return self._budget

    def prime_budget(self, spent: Sequence[tuple[datetime, int]]) -> None:
        """Tell the CRM budget what earlier processes spent: (when, how many) pairs, e.g. from
        the mirror's run history, so a fresh process keeps to the local ceiling from its first
        request. Call it before the first request; naive datetimes are UTC, pairs older than
        the window are ignored. Brevo's own headers, once a response carries them, overrule
        it (see `budget.py`)."""
        self._budget.prime(CRM, ages_of(spent, self._budget.utcnow()))

    # -- reads -----------------------------------------------------------------------------

    def list_deals(
        self,
        *,
        modified_since: datetime | None,
        offset: int,
        limit: int,
        owner: str | None = None,
    ) -> DealPage:
        """A page of deals; with `owner` (an e-mail address) only that user's.

        Brevo filters by the owner's e-mail but returns `deal_owner` as a user id, so
        `owner=..., limit=1` is also how a person's id is learnt in one request."""
        since = format_since(modified_since) if modified_since is not None else None
        # sort=asc and no sortBy: ascending creation order, which an edit does not reorder.
        params: dict[str, QueryValue] = {
            "modifiedSince": since,
            "offset": offset,
            "limit": limit,
            "sort": "asc",
        }
        if owner is not None:
            if not owner.strip():
                # An empty filter would be no filter: every deal, silently taken as the owner's.
                raise ValueError("owner must be an e-mail address, not blank")
            params["filters[attributes.deal_owner]"] = owner
        return self._deal_page(params)

    def list_deals_created_since(self, since: datetime, *, offset: int, limit: int) -> DealPage:
        """Deals created at or after `since` (`createdSince`; whether Brevo's bound is inclusive
        is unverified, so pass a moment a little before the attempt), oldest first.

        How a create with an unclear outcome is resolved: read the deals created since just
        before the attempt and match our reference attribute; only when none carries it may
        the deal be posted again. Counted as `GET /crm/deals`."""
        params: dict[str, QueryValue] = {
            "createdSince": format_since(since),
            "offset": offset,
            "limit": limit,
            "sort": "asc",
        }
        return self._deal_page(params)

    def _deal_page(self, params: dict[str, QueryValue]) -> DealPage:
        url = f"{self._base_url}/crm/deals"
        response = self._caller.call(
            "GET",
            "/crm/deals",
            lambda: get_raw(self._http, url, api_key=self._api_key, params=params),
        )
        body = self._json_dict(response, "GET /crm/deals")
        items = body.get("items")
        if items is None:  # an empty result may come back as `{}`
            items = []
        elif not isinstance(items, list):
            raise BrevoError(
                f"GET /crm/deals: HTTP {response.status_code} with `items` that is not a list",
                status=response.status_code,
                endpoint="GET /crm/deals",
            )
        return DealPage(items=items, server_time=parse_http_date(response.headers.get("date")))

    def get_deal(self, deal_id: str) -> RawRecord:
        raw = self._sdk.deals.with_raw_response
        response = self._caller.call(
            "GET",
            "/crm/deals/{id}",
            lambda: raw.get_a_deal(deal_id).response,
            path=f"/crm/deals/{deal_id}",
        )
        return self._json_dict(response, "GET /crm/deals/{id}")

    def list_pipelines(self) -> list[RawRecord]:
        raw = self._sdk.deals.with_raw_response
        response = self._caller.call(
            "GET", "/crm/pipeline/details/all", lambda: raw.get_all_pipelines().response
        )
        return self._json_list(response, "GET /crm/pipeline/details/all")

    def list_deal_attributes(self) -> list[RawRecord]:
        raw = self._sdk.deals.with_raw_response
        response = self._caller.call(
            "GET", "/crm/attributes/deals", lambda: raw.get_deal_attributes().response
        )
        return self._json_list(response, "GET /crm/attributes/deals")

    # -- writes ----------------------------------------------------------------------------

    def create_deal(
        self,
        *,
        name: str,
        attributes: Mapping[str, Any] | None = None,
        linked_contacts_ids: Sequence[int] | None = None,
        linked_companies_ids: Sequence[str] | None = None,
    ) -> str:
        """Create a deal and return its id.

        Never repeated after Brevo may have received it: a 5xx, read timeout or dropped
        connection raises `BrevoOutcomeUnknown` (`outcome_unknown=True`) at once."""
        raw = self._sdk.deals.with_raw_response
        response = self._caller.call(
            "POST",
            "/crm/deals",
            lambda: (
                raw.create_a_deal(
                    name=name,
                    attributes=dict(attributes) if attributes is not None else _OMIT,
                    linked_contacts_ids=list(linked_contacts_ids)
                    if linked_contacts_ids is not None
                    else _OMIT,
                    linked_companies_ids=list(linked_companies_ids)
                    if linked_companies_ids is not None
                    else _OMIT,
                ).response
            ),
        )
        try:
            body = response.json()
            deal_id = body.get("id") if isinstance(body, dict) else None
        except ValueError:
            deal_id = None
        if deal_id is None or deal_id == "":
            raise BrevoOutcomeUnknown(
                f"POST /crm/deals: HTTP {response.status_code} without the new deal's id; "
                "the deal was probably created",
                status=response.status_code,
                endpoint="POST /crm/deals",
            )
        return str(deal_id)

    def update_deal(
        self,
        deal_id: str,
        *,
        attributes: Mapping[str, Any] | None = None,
        name: str | None = None,
        linked_contacts_ids: Sequence[int] | None = None,
        linked_companies_ids: Sequence[str] | None = None,
    ) -> None:
        """PATCH the given fields (None means "leave as is"; the linked id lists, when given,
        replace Brevo's). With nothing to change no request is spent."""
        fields: dict[str, Any] = {}
        if attributes is not None:
            fields["attributes"] = dict(attributes)
        if name is not None:
            fields["name"] = name
        if linked_contacts_ids is not None:
            fields["linked_contacts_ids"] = list(linked_contacts_ids)
        if linked_companies_ids is not None:
            fields["linked_companies_ids"] = list(linked_companies_ids)
        if not fields:
            return
        raw = self._sdk.deals.with_raw_response
        self._caller.call(
            "PATCH",
            "/crm/deals/{id}",
            lambda: raw.update_a_deal(deal_id, **fields).response,
            path=f"/crm/deals/{deal_id}",
        )

    def delete_deal(self, deal_id: str) -> None:
        """DELETE a deal. A retried DELETE whose first attempt went through ends in
        BrevoNotFound: callers that only want the deal gone should treat that as done."""
        raw = self._sdk.deals.with_raw_response
        self._caller.call(
            "DELETE",
            "/crm/deals/{id}",
            lambda: raw.delete_a_deal(deal_id).response,
            path=f"/crm/deals/{deal_id}",
        )

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SdkBrevoGateway:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @staticmethod
    def _json_dict(response: httpx.Response, endpoint: str) -> dict[str, Any]:
        return json_dict(response, endpoint)

    @staticmethod
    def _json_list(response: httpx.Response, endpoint: str) -> list[RawRecord]:
        return json_list(response, endpoint)
