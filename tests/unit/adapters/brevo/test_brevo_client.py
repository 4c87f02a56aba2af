"""Client construction: explicit timeouts, one shared httpx client, no OAuth, SDK retries off."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest
import respx
from brevo_fakes import API_KEY, BASE_URL, GatewayFactory

from brevo_sync.adapters.brevo import build_gateway
from brevo_sync.adapters.brevo.client import build_http_client, build_sdk_client
from brevo_sync.errors import ConfigError

SRC = Path(__file__).resolve().parents[4] / "src"


def test_http_client_has_every_timeout_set() -> None:
    with build_http_client(7.5) as client:
        assert client.timeout == httpx.Timeout(connect=7.5, read=7.5, write=7.5, pool=7.5)
        assert client.follow_redirects is False


def test_http_client_asks_for_json_by_default() -> None:
    with build_http_client(5) as client:
        assert client.headers.get_list("accept") == ["application/json"]


def test_http_client_rejects_a_non_positive_timeout() -> None:
    with pytest.raises(ValueError, match="timeout_seconds"):
        build_http_client(0)


def test_sdk_sends_through_the_shared_client_without_retries_or_token() -> None:
    with build_http_client(5) as http_client:
        sdk = build_sdk_client(api_key=API_KEY, base_url=BASE_URL + "/", http_client=http_client)
        wrapper = sdk._client_wrapper
        assert wrapper.httpx_client.httpx_client is http_client
        assert wrapper.get_max_retries() == 0
        assert wrapper.get_timeout() is None  # so httpx uses the client's Timeout
        assert wrapper._token is None
        assert wrapper.get_base_url() == BASE_URL


def test_empty_api_key_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="BREVO_API_KEY"):
        build_gateway(
            api_key=" ",
            base_url=BASE_URL,
            timeout_seconds=1,
            max_retries=0,
            reserve=0,
            max_wait_seconds=0,
        )


def test_gateway_is_a_context_manager(
    make_gateway: GatewayFactory, router: respx.MockRouter
) -> None:
    router.get("/crm/deals").respond(200, json={"items": []})
    with make_gateway() as gateway:
        gateway.list_deals(modified_since=None, offset=0, limit=1)
    with pytest.raises(RuntimeError):  # httpx refuses to send on a closed client
        gateway.list_deals(modified_since=None, offset=0, limit=1)


# The SDK reads BREVO_CLIENT_ID/SECRET into its constructor defaults when `brevo.client` is
# imported, so the environment must be set before the import: hence a fresh interpreter.
_OAUTH_PROBE = textwrap.dedent(
    """
    import httpx, respx, brevo
    from brevo_sync.adapters.brevo import build_gateway

    base = "https://brevo.test/v3"
    # No base_url on the router: the token endpoint lives outside /v3 (../realms/partner/...).
    with respx.mock(assert_all_called=False) as router:
        deals = router.get(base + "/crm/deals").respond(200, json={"items": []})
        pipelines = router.get(base + "/crm/pipeline/details/all").respond(200, json=[])
        oauth = router.route(path__regex=r"oauth").respond(
            200, json={"access_token": "t", "expires_in": 3600, "token_type": "Bearer"}
        )

        # Control: the SDK's defaults do pick the variables up and call OAuth.
        plain = brevo.Brevo(api_key="k", base_url=base, httpx_client=httpx.Client(), max_retries=0)
        plain.deals.get_all_deals(limit=1)
        assert oauth.call_count == 1, "control failed: the SDK did not try OAuth"

        gateway = build_gateway(api_key="k", base_url=base, timeout_seconds=5, max_retries=0,
                                reserve=0, max_wait_seconds=0)
        gateway.list_deals(modified_since=None, offset=0, limit=1)
        gateway.list_pipelines()  # an SDK call: the one that could fetch a token
        assert oauth.call_count == 1, "the gateway made an OAuth call"
        assert "authorization" not in deals.calls.last.request.headers
        assert "authorization" not in pipelines.calls.last.request.headers
        assert gateway.requests.total == 2
    print("ok")
    """
)


def test_oauth_env_vars_never_trigger_an_oauth_call() -> None:
    env = {
        **os.environ,
        "BREVO_CLIENT_ID": "client-id",
        "BREVO_CLIENT_SECRET": "client-secret",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])),
    }
    result = subprocess.run(
        [sys.executable, "-c", _OAUTH_PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("ok")
