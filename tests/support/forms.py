"""Read the OP's HTML forms the way a browser would: action, method, and the fields a
submission carries (hidden inputs, prefilled values, the pressed button)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)

    def submission(self, button: str | None = None, **values: str) -> dict[str, str]:
        """The form data for pressing the button whose value is ``button``."""
        data = {**self.fields, **values}
        for name, value in self.buttons:
            if value == button:
                data[name] = value
        return data


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
        elif tag == "input" and self.forms and "name" in a and a.get("type") not in ("submit", "button"):
            self.forms[-1].fields[a["name"]] = a.get("value", "")
        elif tag == "button" and self.forms and "name" in a:
            self.forms[-1].buttons.append((a["name"], a.get("value", "")))


def parse_forms(html: str) -> list[Form]:
    parser = _Parser()
    parser.feed(html)
    return parser.forms


def only_form(html: str) -> Form:
    forms = parse_forms(html)
    assert len(forms) == 1, f"expected one form, found {len(forms)}"
    return forms[0]
