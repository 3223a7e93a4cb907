"""Tenant templates at work: compiled once per container, tenant, template version and
language, and rendered with every failure turned into None (the caller then uses its
built-in template: a tenant's template must never stand between a user and signing in, or
a reset link). The caller says how to read the stored source (``load``): this package does
not know the store."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from chalicelib.templating import sandbox, schema

logger = logging.getLogger(__name__)
MAX_CACHED = 512  # compiled templates per container
# (tenant id, template name, version, language)
Key = tuple[str, str, int, str]

_lock = threading.Lock()
_compiled: OrderedDict[Key, Any] = OrderedDict()


def render(key: Key, load: Callable[[], tuple[int, str] | None], values: dict[str, Any]) -> str | None:
    """The tenant template ``key`` names, rendered with the documented part of ``values``;
    None if it cannot be read at that version or fails to render (logged)."""
    name = key[1]
    try:
        template = _template(key, load)
        if template is None:
            return None
        return sandbox.render(template, schema.context_for(name, values))
    except Exception as problem:  # whatever a stored template does, the built-in page stands in
        logger.warning("tenant %s template %s v%s failed: %r", key[0], name, key[2], problem)
        return None


def _template(key: Key, load: Callable[[], tuple[int, str] | None]) -> Any:
    with _lock:
        if key in _compiled:
            _compiled.move_to_end(key)
            return _compiled[key]
    stored = load()
    # A replica behind the marker's write may not have this version yet: the built-in, this once.
    if stored is None or stored[0] != key[2]:
        return None
    template = sandbox.compile_template(stored[1], key[3], text=schema.is_mail(key[1]))
    with _lock:
        _compiled[key] = template
        while len(_compiled) > MAX_CACHED:
            _compiled.popitem(last=False)
    return template
