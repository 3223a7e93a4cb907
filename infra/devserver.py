"""The development server: ``chalice local``'s own server, as ``make run``, the integration
suite and the benchmark run it, with four changes that make it behave like API Gateway:

- every response leaves at once: Chalice's handler writes headers and body in two sends, and
  without ``TCP_NODELAY`` the second waits for the client's delayed ACK (~40 ms a response:
  discovery took 88 ms instead of 2 ms);
- a listen backlog of 128 instead of 5, so a burst of parallel requests is queued, not reset;
- ``requestContext.identity.sourceIp`` is the address the request came from, as API Gateway
  sets it, instead of Chalice's constant ``127.0.0.1``: the abuse limits count per source, and
  the tests play several sources from different loopback addresses (127.0.0.2, ...);
- a path that no route matches, or a method its route does not have, gets what API Gateway
  answers there as ``infra/resources.json`` configures it (its ``MISSING_AUTHENTICATION_TOKEN``
  gateway response): a 404, JSON or HTML by the Accept header, whatever the other headers.
  Chalice's own answer was API Gateway's default, a 403 "Missing Authentication Token" that
  quotes the Authorization header back (and dropped the connection when it was not ASCII).

Everything else (routing, the Lambda event, the environment of the stage) is Chalice's. Like
``chalice local``, it sends no API Gateway ``domainName``: the provider's base URL comes from
``PUBLIC_BASE_URL``, without which it does not start (the issuer never follows the Host header).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from chalice import local
from chalice.cli.factory import CLIFactory

ROOT = Path(__file__).resolve().parents[1]


class NotFound(local.LocalGatewayException):
    CODE = 404


@functools.cache
def gateway_not_found() -> dict[str, Any]:
    """The deployment's answer to a path or method no route has (infra/resources.json)."""
    template = json.loads((ROOT / "infra" / "resources.json").read_text())
    return template["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]["MISSING_AUTHENTICATION_TOKEN"]


def not_found(accept: str, https: bool) -> NotFound:
    """API Gateway's choice of template: the Accept header's type (HTML for a browser), JSON
    otherwise. Header values are quoted in the template, as API Gateway's static values are."""
    response = gateway_not_found()
    kind = "text/html" if "text/html" in accept else "application/json"
    headers = {name: value.strip("'") for name, value in response["ResponseParameters"]["Headers"].items()}
    if not https:  # RFC 6797 §7.2, as the app itself does (chalicelib/web/responses.py)
        headers.pop("Strict-Transport-Security")
    return NotFound({**headers, "Content-Type": kind}, response["ResponseTemplates"][kind].encode())


class _Converter(local.LambdaEventConverter):
    def __init__(self, base: local.LambdaEventConverter, source_ip: str, routes: dict[str, Any]) -> None:
        self.__dict__.update(base.__dict__)
        self._source_ip = source_ip
        self._routes = routes

    def create_lambda_event(self, method: str, path: str, headers: dict[str, str], body: Any = None) -> dict[str, Any]:
        try:
            event = super().create_lambda_event(method, path, headers, body)
        except ValueError:
            event = None
        # Chalice answers an OPTIONS preflight itself for the routes that allow CORS (as API
        # Gateway does, with the OPTIONS method Chalice adds to those); any other route has none.
        methods = self._routes[event["requestContext"]["resourcePath"]] if event is not None else {}
        cors = any(route.cors for route in methods.values())
        if event is None or (method not in methods and not (method == "OPTIONS" and cors)):
            accept = next((value for name, value in headers.items() if name.lower() == "accept"), "")
            raise not_found(accept, (os.environ.get("PUBLIC_BASE_URL") or "").startswith("https://"))
        event["requestContext"]["identity"]["sourceIp"] = self._source_ip
        return event


class Server(local.ThreadedHTTPServer):
    # socketserver's default backlog of 5 resets connections in any burst of parallel
    # requests (the abuse suite sends fifty at once); API Gateway has no such limit.
    request_queue_size = 128


class Handler(local.ChaliceRequestHandler):
    disable_nagle_algorithm = True

    def __init__(self, request: Any, client_address: tuple[str, int], server: Any, app_object: Any, config: Any):
        self.local_gateway = local.LocalGateway(app_object, config)
        converter = self.local_gateway.event_converter
        self.local_gateway.event_converter = _Converter(converter, client_address[0], app_object.routes)
        local.BaseHTTPRequestHandler.__init__(self, request, client_address, server)

    def log_message(self, format: str, *args: Any) -> None:  # the app logs one line per request itself
        pass


def create_server(host: str, port: int, stage: str) -> local.LocalDevServer:
    config = CLIFactory(str(ROOT)).create_config_obj(chalice_stage_name=stage)
    app = config.chalice_app
    # What chalice.local.create_local_server does: the app's current_request per thread.
    local.CustomLocalChalice.__bases__ = (local.LocalChalice, app.__class__)
    app.__class__ = local.CustomLocalChalice
    return local.LocalDevServer(app, config, host, port, handler_cls=Handler, server_cls=Server)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--stage", default="dev")
    args = parser.parse_args(argv)
    if not os.environ.get("PUBLIC_BASE_URL"):
        parser.error(f"set PUBLIC_BASE_URL, the provider's public base URL (say http://{args.host}:{args.port})")
    # As `chalice local` does: the app's log lines on stdout, as Lambda would log them.
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
    server = create_server(args.host, args.port, args.stage)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
