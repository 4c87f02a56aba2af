"""`/companies`, `/crm/tasktypes`, `/crm/tasks` and `/crm/notes` routes."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from brevo_sync.sandbox.errors import invalid
from brevo_sync.sandbox.http import json_response, no_content, path_param, read_object
from brevo_sync.sandbox.state import SandboxState


def _relink_company(state: SandboxState, company_id: str, deal_ids: Any) -> None:
    """PATCH /companies/{id} with `linkedDealsIds`: change the deals' side of the link."""
    if not isinstance(deal_ids, list) or not all(isinstance(d, str) for d in deal_ids):
        raise invalid("linkedDealsIds must be a list of deal ids")
    unknown = [d for d in deal_ids if d not in state.deals.records]
    if unknown:
        raise invalid(f"Deal {unknown[0]} not found")
    now = state.now_ms()
    current = list(state.deals.by_company.get(company_id, {}))
    for deal_id in current:
        if deal_id not in deal_ids:
            state.deals.link_unlink(deal_id, {"unlinkCompanyIds": [company_id]}, now)
    for deal_id in deal_ids:
        if deal_id not in current:
            state.deals.link_unlink(deal_id, {"linkCompanyIds": [company_id]}, now)


def crm_routes(state: SandboxState, prefix: str = "/v3") -> list[BaseRoute]:
    def limits() -> tuple[int | None, str]:
        """Read per request: `/_sandbox/quirks` can change them at run time."""
        quirks = state.quirks
        return quirks.max_page_limit, quirks.over_limit

    async def list_companies(request: Request) -> Response:
        with state.lock:
            page = state.companies.page(request.query_params, *limits())
            return json_response({"items": [state.companies.to_json(c) for c in page]})

    async def create_company(request: Request) -> Response:
        body = await read_object(request)
        with state.lock:
            rec = state.companies.create(body, state.now_ms())
            if body.get("linkedDealsIds"):
                _relink_company(state, rec.id, body["linkedDealsIds"])
            return json_response({"id": rec.id})

    async def get_company(request: Request) -> Response:
        with state.lock:
            return json_response(
                state.companies.to_json(state.companies.get(path_param(request, "id")))
            )

    async def patch_company(request: Request) -> Response:
        body = await read_object(request)
        company_id = path_param(request, "id")
        with state.lock:
            state.companies.get(company_id)
            if body.get("linkedDealsIds") is not None:
                _relink_company(state, company_id, body["linkedDealsIds"])
            rec = state.companies.update(company_id, body, state.now_ms())
            return json_response(state.companies.to_json(rec))

    async def delete_company(request: Request) -> Response:
        with state.lock:
            state.companies.delete(path_param(request, "id"))
        return no_content()

    async def task_types(request: Request) -> Response:
        return json_response(state.tasks.task_types)

    async def create_task(request: Request) -> Response:
        body = await read_object(request)
        with state.lock:
            return json_response({"id": state.tasks.create(body, state.now_ms())["id"]}, 201)

    async def list_tasks(request: Request) -> Response:
        with state.lock:
            return json_response({"items": state.tasks.page(request.query_params, *limits())})

    async def create_note(request: Request) -> Response:
        body = await read_object(request)
        with state.lock:
            return json_response({"id": state.notes.create(body, state.now_ms())["id"]})

    async def list_notes(request: Request) -> Response:
        with state.lock:
            return json_response(state.notes.page(request.query_params, *limits()))

    return [
        Route(f"{prefix}/companies", list_companies, methods=["GET"]),
        Route(f"{prefix}/companies", create_company, methods=["POST"]),
        Route(f"{prefix}/companies/{{id}}", get_company, methods=["GET"]),
        Route(f"{prefix}/companies/{{id}}", patch_company, methods=["PATCH"]),
        Route(f"{prefix}/companies/{{id}}", delete_company, methods=["DELETE"]),
        Route(f"{prefix}/crm/tasktypes", task_types, methods=["GET"]),
        Route(f"{prefix}/crm/tasks", list_tasks, methods=["GET"]),
        Route(f"{prefix}/crm/tasks", create_task, methods=["POST"]),
        Route(f"{prefix}/crm/notes", list_notes, methods=["GET"]),
        Route(f"{prefix}/crm/notes", create_note, methods=["POST"]),
    ]
