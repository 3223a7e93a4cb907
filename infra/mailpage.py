"""The local mail page (``make run`` only; never deployed: nothing under ``chalicelib`` knows
it): the messages the provider sent through moto's SES, newest first, with their links
clickable, so a developer can follow a password reset, a verification or a sign-up locally.

moto keeps what SES sent and shows it through its own ``/moto-api/data.json`` (every model
instance it tracks, by service); the emulator tracks SES's messages alone
(``infra/moto_bounds.py``), and serves this page at ``/_emulator/mail`` from that data.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any

PATH = "/_emulator/mail"
_URL = re.compile(r"https?://[^\s<>\"']+")
# Classes of moto.ses.models whose instances are sent messages (sesv2 keeps its in SES's).
MESSAGE_KINDS = ("Message", "RawMessage", "TemplateMessage")


@dataclass(frozen=True)
class SentMessage:
    id: str
    sender: str
    to: tuple[str, ...]
    subject: str
    body: str


def sent_messages(data: dict[str, Any]) -> list[SentMessage]:
    """The messages in moto's ``/moto-api/data.json`` answer, in the order they were sent."""
    found = []
    for kind in MESSAGE_KINDS:
        for item in data.get("ses", {}).get(kind, []):
            destinations = item.get("destinations") or {}
            to = destinations.get("ToAddresses", []) if isinstance(destinations, dict) else destinations
            body = item.get("body") or item.get("raw_data") or item.get("template_data") or ""
            sender, subject = item.get("source", ""), item.get("subject", "")
            found.append(SentMessage(item.get("id", ""), sender, tuple(to), subject, body))
    return found


def moto_data() -> dict[str, Any]:
    """What ``/moto-api/data.json`` answers, asked of moto in this process."""
    from moto.moto_api._internal.responses import MotoAPIResponse

    _, _, body = MotoAPIResponse().model_data(None, "", {})
    return json.loads(body)


def page(messages: list[SentMessage]) -> str:
    items = "".join(_message(message) for message in reversed(messages)) or "<p>No mail sent yet.</p>"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="10"><title>Local mail ({len(messages)})</title>
<style>body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 50rem; margin: 1rem auto; padding: 0 1rem;
color: #1c1e21; }}
article {{ border: 1px solid #d1d5db; border-radius: .5rem; padding: .5rem 1rem; margin: 1rem 0; }}
pre {{ white-space: pre-wrap; overflow-wrap: anywhere; font: inherit; }} dl {{ margin: 0; color: #4b5563; }}
dt {{ float: left; width: 4rem; font-weight: 600; }} a {{ color: #1f5fbf; }}</style></head>
<body><main><h1>Local mail</h1>
<p>What the provider sent through the emulated SES (moto), newest first. Only in <code>make run</code>.</p>
{items}</main></body></html>"""


def _message(message: SentMessage) -> str:
    escaped = html.escape(message.body)
    body = _URL.sub(lambda match: f'<a href="{match.group(0)}">{match.group(0)}</a>', escaped)
    return (
        f"<article><h2>{html.escape(message.subject)}</h2><dl><dt>From</dt><dd>{html.escape(message.sender)}</dd>"
        f"<dt>To</dt><dd>{html.escape(', '.join(message.to))}</dd></dl><pre>{body}</pre></article>"
    )


def response() -> tuple[str, list[tuple[str, str]], bytes]:
    """(status, headers, body) of the page."""
    body = page(sent_messages(moto_data())).encode()
    headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-store"),
        ("Content-Length", str(len(body))),
    ]
    return "200 OK", headers, body
