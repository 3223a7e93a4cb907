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
        self._textarea: str | None = None  # the name of the textarea being read
        self._select: str | None = None  # the name of the select being read, until an option is chosen

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
        elif not self.forms:
            return
        elif tag == "input" and "name" in a and a.get("type") not in ("submit", "button"):
            # An unticked checkbox is not sent (a ticked one is, as "on" unless it has a value).
            if a.get("type") != "checkbox" or "checked" in a:
                self.forms[-1].fields[a["name"]] = a.get("value", "on" if a.get("type") == "checkbox" else "")
        elif tag == "button" and "name" in a:
            self.forms[-1].buttons.append((a["name"], a.get("value", "")))
        elif tag == "textarea" and "name" in a:
            self._textarea = a["name"]
            self.forms[-1].fields[a["name"]] = ""
        elif tag == "select" and "name" in a:
            self._select = a["name"]
        elif tag == "option" and self._select is not None:
            # The selected option, else the first one: what a browser sends.
            fields, value = self.forms[-1].fields, a.get("value", "")
            fields[self._select] = value if "selected" in a else fields.get(self._select, value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.forms[-1].fields[self._textarea] += data


def parse_forms(html: str) -> list[Form]:
    parser = _Parser()
    parser.feed(html)
    return parser.forms


def only_form(html: str) -> Form:
    forms = parse_forms(html)
    assert len(forms) == 1, f"expected one form, found {len(forms)}"
    return forms[0]
