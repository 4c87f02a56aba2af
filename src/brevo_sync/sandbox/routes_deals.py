"""`/crm/deals`, `/crm/attributes` and `/crm/pipeline` routes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from brevo_sync.sandbox.errors import SandboxError, invalid
from brevo_sync.sandbox.http import (
    json_response,
    no_content,
    path_param,
    raw_json_response,
    read_object,
)
from brevo_sync.sandbox.state import SandboxState


def deal_routes(state: SandboxState, prefix: str = "/v3") -> list[BaseRoute]:
    async def list_deals(request: Request) -> Response:
        return raw_json_response(state.deals_page_json(request.query_params))

    async def create_deal(request: Request) -> Response:
        body = await read_object(request)
        deal_id = state.create_deal(
            body.get("name"),
            attributes=body.get("attributes"),
            linked_contacts=body.get("linkedContactsIds"),
            linked_companies=body.get("linkedCompaniesIds"),
        )
        return json_response({"id": deal_id}, 201)

    async def get_deal(request: Request) -> Response:
        try:
            return raw_json_response(state.deal_json(path_param(request, "id")))
        except SandboxError as exc:
            # The README documents this 404 as `{"message": "Document not found"}`.
            raise exc.without_code() from None

    async def patch_deal(request: Request) -> Response:
        body = await read_object(request)
        state.update_deal(
            path_param(request, "id"),
            name=body.get("name"),
            attributes=body.get("attributes"),
            linked_contacts=body.get("linkedContactsIds"),
            linked_companies=body.get("linkedCompaniesIds"),
        )
        return no_content()

    async def delete_deal(request: Request) -> Response:
        state.delete_deal(path_param(request, "id"))
        return no_content()

    async def link_unlink(request: Request) -> Response:
        state.link_unlink_deal(path_param(request, "id"), await read_object(request))
        return no_content()

    async def deal_attributes(request: Request) -> Response:
        with state.lock:
            return json_response(state.deal_attributes.to_json())

    async def create_attribute(request: Request) -> Response:
        return json_response({"id": state.create_attribute(await read_object(request))})

    async def all_pipelines(request: Request) -> Response:
        return json_response([p.to_json() for p in state.pipelines])

    async def one_pipeline(request: Request) -> Response:
        wanted = path_param(request, "pipeline_id")
        for p in state.pipelines:
            if p.id == wanted:
                return json_response([p.to_json()])
        # Documented as 400 `{"message": "Pipeline not found"}`: no code.
        raise invalid("Pipeline not found").without_code()

    async def default_pipeline(request: Request) -> Response:
        """The deprecated single-pipeline endpoint: the first pipeline, as an object."""
        return json_response(state.pipelines[0].to_json())

    return [
        Route(f"{prefix}/crm/deals", list_deals, methods=["GET"]),
        Route(f"{prefix}/crm/deals", create_deal, methods=["POST"]),
        Route(f"{prefix}/crm/deals/link-unlink/{{id}}", link_unlink, methods=["PATCH"]),
        Route(f"{prefix}/crm/deals/{{id}}", get_deal, methods=["GET"]),
        Route(f"{prefix}/crm/deals/{{id}}", patch_deal, methods=["PATCH"]),
        Route(f"{prefix}/crm/deals/{{id}}", delete_deal, methods=["DELETE"]),
        Route(f"{prefix}/crm/attributes/deals", deal_attributes, methods=["GET"]),
        Route(f"{prefix}/crm/attributes", create_attribute, methods=["POST"]),
        Route(f"{prefix}/crm/pipeline/details/all", all_pipelines, methods=["GET"]),
        Route(f"{prefix}/crm/pipeline/details/{{pipeline_id}}", one_pipeline, methods=["GET"]),
        Route(f"{prefix}/crm/pipeline/details", default_pipeline, methods=["GET"]),
    ]
