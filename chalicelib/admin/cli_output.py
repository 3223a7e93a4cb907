"""How every CLI command answers: its result as indented JSON on stdout (a dataclass as its
fields), so a script can read it and a person can too."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import click


def echo_json(value: Any) -> None:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    click.echo(json.dumps(value, indent=2, sort_keys=True, default=str))
