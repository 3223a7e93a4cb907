"""Deployment-level hooks: the seed's Django hook settings, as functions of one Python
module the operator ships with the app and names in ``HOOKS_MODULE``.

A hook the module does not define behaves as the seed's default. Every hook receives the
tenant id first, so one module can serve tenants differently. Hooks run in the request:
keep them fast, and do not raise for input a user controls.

    after_login(tenant_id, sub, client_id) -> str | None            OIDC_AFTER_USERLOGIN_HOOK
        A URL to send the browser to instead of continuing (it must bring the user back
        to the authorization endpoint itself), or None to continue.
    after_end_session(tenant_id, sub, client_id, post_logout_redirect_uri, state) -> None
                                                                      OIDC_AFTER_END_SESSION_HOOK
    process_id_token(tenant_id, claims, client_id) -> dict           OIDC_IDTOKEN_PROCESSING_HOOK
    generate_sub(tenant_id, username) -> str                         OIDC_IDTOKEN_SUB_GENERATOR
    process_introspection(tenant_id, response, client_id) -> dict    OIDC_INTROSPECTION_PROCESSING_HOOK
    userinfo(tenant_id, claims, user_claims) -> dict                 OIDC_USERINFO
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import Any

from chalicelib.settings import settings

_lock = threading.Lock()
_loaded: list[Any] = []


def hook(name: str) -> Callable[..., Any] | None:
    """The module's function ``name``, or None when there is no module or no such hook."""
    if settings.hooks_module is None:
        return None
    if not _loaded:
        with _lock:
            if not _loaded:
                _loaded.append(importlib.import_module(settings.hooks_module))
    found = getattr(_loaded[0], name, None)
    return found if callable(found) else None


def call(name: str, default: Any, *args: Any) -> Any:
    """Run hook ``name`` with ``args``, or give ``default`` when it is not defined."""
    found = hook(name)
    return default if found is None else found(*args)


def forget() -> None:
    with _lock:
        _loaded.clear()
