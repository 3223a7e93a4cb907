"""Two changes to moto, made at run time by the emulator (never in site-packages), that keep
a long-running emulation (``make run``, the integration suite) bounded in memory and time.

1. moto's ``BaseModel.__new__`` appends every instance it creates (every DynamoDB ``Item``,
   every ``Table``) to a class-level list, ``instances_tracked``, that only its dashboard
   reads and nothing empties short of a reset of the whole emulation. moto makes Items
   freely: ``TransactWriteItems`` deep-copies every table it names, and Query and Scan
   deep-copy what they return, so every sign-in (two transactions) kept two more copies of
   the whole table: 887 MB after 200 sign-ins, 4 GB after a few minutes of load. The
   emulation serves no dashboard: instances are no longer listed, and each copy is freed
   once moto lets go of it.
2. That deep copy of the whole table (its rollback in case one of the transaction's
   operations fails) made each transaction slower as the table grew. The rollback here
   keeps a copy of only the items the transaction names, which is all it can change, and
   puts them back if it fails.
"""

from __future__ import annotations

import copy
import functools
import types
from typing import Any

_applied: list[bool] = []


def bound() -> None:
    """Apply both changes, once per process."""
    if _applied:
        return
    _applied.append(True)
    _untrack_models()
    _rollback_by_item()


def _untrack_models() -> None:
    from moto.core.common_models import BaseModel
    from moto.core.model_instances import model_data

    BaseModel.__new__ = staticmethod(_untracked_new)  # type: ignore[method-assign, assignment]
    for models in model_data.values():
        for model in models.values():
            model.instances_tracked.clear()  # type: ignore[attr-defined]


def _untracked_new(cls: type, *args: Any, **kwargs: Any) -> Any:
    from infra.mailpage import MESSAGE_KINDS

    instance = object.__new__(cls)
    if cls.__module__ == "moto.ses.models" and cls.__name__ in MESSAGE_KINDS:
        cls.instances_tracked.append(instance)  # type: ignore[attr-defined]
    return instance


def _rollback_by_item() -> None:
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        # transact_write_items's copy of each table becomes the table itself: restoring it
        # restores nothing, and the items it names are restored by _transact_write_items.
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    # The module's name "copy", as its code reads it (update_item copies an item with it too).
    models.copy = types.SimpleNamespace(deepcopy=deepcopy, copy=copy.copy)  # type: ignore[attr-defined]
    backend = models.DynamoDBBackend
    backend.transact_write_items = _transact_write_items(backend.transact_write_items)  # type: ignore[method-assign]


def _transact_write_items(original: Any) -> Any:
    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = [_saved(self, entry) for entry in transact_items[:100]]
        try:
            original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed([s for s in saved if s is not None]):
                _restore(table, hash_key, range_key, item)
            raise

    return transact_write_items


def _saved(backend: Any, entry: dict[str, Any]) -> tuple[Any, Any, Any, Any] | None:
    """(table, hash key, range key, a copy of the item or None) for one operation of a
    transaction; None when it names no table or no valid key (moto refuses it unwritten)."""
    try:
        _, operation = next(iter(entry.items()))
        table = backend.get_table(operation["TableName"])
        names = [name for name in (table.hash_key_attr, table.range_key_attr) if name]
        key = operation.get("Key") or {name: operation["Item"][name] for name in names}
        hash_key, range_key = backend.get_keys_value(table, key)
    except Exception:
        return None
    return table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))


def _restore(table: Any, hash_key: Any, range_key: Any, item: Any) -> None:
    if range_key is not None:
        table.items[hash_key].pop(range_key, None)
        if item is not None:
            table.items[hash_key][range_key] = item
    else:
        table.items.pop(hash_key, None)
        if item is not None:
            table.items[hash_key] = item
