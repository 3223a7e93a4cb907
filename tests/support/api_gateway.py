"""Requests as API Gateway's REST API hands them to Lambda, in-process.

Chalice's test client and ``chalice local`` build the proxy integration's event without the
fields API Gateway adds to ``requestContext``: ``domainName`` (the host name the request came
in on), ``domainPrefix``, ``apiId``, ``stage`` and the full ``path``. This client adds them
as API Gateway sends them (its developer guide's example event), and routes as API Gateway
does: on its own ``execute-api`` host names the URL's first segment is the stage, which is
not part of the route; a custom domain maps the stage at its root.
"""

from __future__ import annotations

from typing import Any

API_ID = "a1b2c3d4e5"
EXECUTE_API = f"{API_ID}.execute-api.eu-west-1.amazonaws.com"


class _Converter:
    """Wraps Chalice's event converter (``chalice.local.LambdaEventConverter``)."""

    def __init__(self, base: Any, domain_name: Any, stage: Any, stage_in_path: bool) -> None:
        self._base = base
        self._domain_name = domain_name
        self._stage = stage
        self._stage_in_path = stage_in_path

    def create_lambda_event(self, method: str, path: str, headers: dict[str, str], body: bytes | None = None) -> dict:
        route_path = path
        if self._stage_in_path:
            prefix = f"/{self._stage}"
            if not path.startswith(prefix + "/"):
                raise ValueError("no such stage")  # Chalice's gateway answers 403, as API Gateway does
            route_path = path[len(prefix) :]
        event = self._base.create_lambda_event(method=method, path=route_path, headers=headers, body=body)
        event["requestContext"].update(
            domainName=self._domain_name,
            domainPrefix=str(self._domain_name).split(".")[0],
            apiId=API_ID,
            stage=self._stage,
            path=path.split("?")[0],
            protocol="HTTP/1.1",
        )
        return event


def api_gateway(domain_name: Any = EXECUTE_API, stage: Any = "api", stage_in_path: bool | None = None) -> Any:
    """An HTTP client (Chalice's ``TestHTTPClient``) whose requests reach the app as API
    Gateway would deliver them for ``domain_name``. ``stage_in_path`` defaults to whether
    the host name is API Gateway's own."""
    from chalice.test import Client

    from app import app

    http = Client(app).http
    gateway = http._local_gateway  # the client's own LocalGateway: its events are built here
    in_path = stage_in_path if stage_in_path is not None else ".execute-api." in str(domain_name)
    gateway.event_converter = _Converter(gateway.event_converter, domain_name, stage, in_path)
    return http
