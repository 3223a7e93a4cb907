"""The console's templates page: an administrator saves a tenant template (validated: a
refusal comes back with the line at fault and writes nothing), sees it used, removes it
after a confirmation; a stale form is refused; every change is audited."""

from __future__ import annotations

import pytest

from chalicelib.admin import templates as template_admin
from chalicelib.store import tenants as tenant_store
from tests.unit.test_console import CONSOLE, admin_user, audit, console, https_issuer, submit  # noqa: F401 (its fixtures, used here too)
from tests.unit.test_templating import LOGIN

LONG = LOGIN + "<p>" + "x" * 6000 + "</p>"  # longer than any other form field may be


def templates(table_items) -> list[dict]:
    return [item for item in table_items() if item["sk"]["S"].startswith("template#")]


def test_a_template_is_saved_shown_and_removed(console, table_items):  # noqa: F811 (the fixture)
    page = console.get(f"{CONSOLE}/templates?name=login")
    assert page.status_code == 200 and b"login: the built-in one" in page.body
    assert b'aria-current="page">login' in page.body
    saved = submit(console, page, "/templates", "save", source=LONG)
    assert saved.status_code == 302
    assert saved.headers["Location"] == f"{CONSOLE}/templates?name=login&done=template-saved"
    [item] = templates(table_items)
    assert item["source"]["S"] == LONG
    assert tenant_store.get_tenant("acme").templates == {"login": int(item["revision"]["N"])}
    page = console.get(saved.headers["Location"])
    assert b"The template was saved" in page.body and b"login (own)" in page.body
    assert "x" * 6000 in page.body.decode()  # in the text area, as stored

    confirm = submit(console, page, "/templates", "delete")
    assert confirm.status_code == 200 and b"Delete template login?" in confirm.body and templates(table_items)
    removed = submit(console, confirm, "/template", "delete")
    assert removed.headers["Location"] == f"{CONSOLE}/templates?name=login&done=template-deleted"
    assert templates(table_items) == [] and tenant_store.get_tenant("acme").templates == {}
    events = [entry["event"]["S"] for entry in audit(table_items) if entry["event"]["S"].startswith("admin_template")]
    assert sorted(events) == ["admin_template_deleted", "admin_template_saved"]


@pytest.mark.parametrize(
    ("name", "source", "words"),
    [
        ("login", "<p>{{ usernme }}</p>", "line 1: unknown variable &#39;usernme&#39;"),
        ("error", "<script>alert(1)</script>", "the element &lt;script&gt; is not allowed"),
        ("mail_reset", "Subject: hi\nno link", "the message must carry {{ link }} in its body"),
        ("error", "", "a template is a non-empty string"),
    ],
)
def test_a_refused_template_comes_back_with_the_reason_and_writes_nothing(console, table_items, name, source, words):  # noqa: F811 (the fixture)
    page = console.get(f"{CONSOLE}/templates?name={name}")
    audited = audit(table_items)
    response = submit(console, page, "/templates", "save", source=source)
    text = response.body.decode()
    assert response.status_code == 400 and words in text and 'role="alert" id="form-error"' in text
    assert templates(table_items) == [] and audit(table_items) == audited


def test_a_stale_template_form_is_refused_with_changed_meanwhile(console, table_items):  # noqa: F811 (the fixture)
    page = console.get(f"{CONSOLE}/templates?name=error")
    template_admin.put_template("acme", "error", "<p>{{ error }}</p>", actor="cli")
    before = templates(table_items)
    response = submit(console, page, "/templates", "save", source="<p>mine</p>")
    assert response.status_code == 409 and b"Changed meanwhile" in response.body
    assert f"{CONSOLE}/templates?name=error".encode() in response.body
    assert templates(table_items) == before


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"name": "account", "version": "0", "source": "<p>x</p>"}, 400),
        ({"name": "login", "version": "x", "source": "<p>x</p>"}, 400),
        ({"name": "error", "version": "0", "source": "x" * 20000}, 400),
    ],
)
def test_hostile_template_forms_get_a_4xx_and_write_nothing(console, table_items, fields, status):  # noqa: F811
    page = console.get(f"{CONSOLE}/templates?name=error")
    response = submit(console, page, "/templates", "save", **fields)
    assert response.status_code == status and templates(table_items) == []
