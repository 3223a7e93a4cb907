"""Boundaries the design depends on, checked by parsing imports; and the table definition
that infra/ deploys equals the one the PynamoDB models assume."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def modules(package: str) -> list[Path]:
    return sorted((ROOT / "chalicelib" / package).rglob("*.py"))


def importing(prefix: str) -> set[str]:
    found = set()
    for path in sorted((ROOT / "chalicelib").rglob("*.py")):
        if any(name == prefix or name.startswith(prefix + ".") for name in imports(path)):
            found.add(str(path.relative_to(ROOT / "chalicelib")).split("/")[0])
    return found


def test_only_store_imports_pynamodb():
    assert importing("pynamodb") == {"store"}


def test_only_web_imports_chalice():
    """And the resource-server decorator, which is a Chalice adapter (its checks are not)."""
    assert importing("chalice") == {"web", "resource_server"}
    assert not {name for name in imports(ROOT / "chalicelib/resource_server/verify.py") if name.startswith("chalice")}


def test_the_resource_server_package_can_be_vendored():
    """``chalicelib/resource_server`` (``@protected``) is for any Chalice API, so it reaches only
    the outbound guard (to fetch the issuer's keys) and itself: no store, no AWS SDK, no
    protocol core. Only the web layer uses it (the example API)."""
    for path in modules("resource_server"):
        for name in imports(path):
            ours = name.startswith("chalicelib")
            allowed = name.startswith(("chalicelib.outbound", "chalicelib.resource_server")) or name == "chalicelib"
            assert not ours or allowed, f"{path.name} imports {name}"
            assert name.split(".")[0] not in {"boto3", "botocore", "pynamodb"}, f"{path.name} imports {name}"
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "chalicelib":
                assert {alias.name for alias in node.names} <= {"outbound"}, f"{path.name} imports from chalicelib"
    assert importing("chalicelib.resource_server") <= {"web", "resource_server"}


def test_protocol_core_knows_no_framework_templates_or_aws_sdk():
    for path in modules("oidc"):
        forbidden = {
            name
            for name in imports(path)
            if name.split(".")[0] in {"chalice", "jinja2", "boto3", "botocore", "pynamodb"}
        }
        assert not forbidden, f"{path.name} imports {forbidden}"


def test_store_and_keys_do_not_reach_up():
    for package in ("store", "keys", "accounts", "tenancy", "limits"):
        for path in modules(package):
            upward = {
                name
                for name in imports(path)
                if name.startswith(("chalicelib.oidc", "chalicelib.web", "chalicelib.admin"))
            }
            assert not upward, f"{path} imports {upward}"


def test_the_abuse_limits_are_counted_in_one_place():
    """Every limit goes through chalicelib.limits (whom to count) and store.limits (counting):
    the endpoints and admin actions that need one ask chalicelib.limits, never the store."""
    assert importing("chalicelib.store.limits") == {"limits"}


def test_only_outbound_opens_connections_of_its_own():
    """Every request to a URL a tenant or client chose passes the one guard (SSRF): no other
    module holds an HTTP client or a socket, but the store's DynamoDB client and its HTTP/1.1
    connection, which reach only the endpoint botocore resolved for DynamoDB (botocore's own,
    to AWS, is not ours); and the connection is made by the DynamoDB client alone."""
    clients = ("socket", "ssl", "http.client", "urllib.request", "urllib3", "requests", "httpx", "aiohttp")
    holders = {
        str(path.relative_to(ROOT / "chalicelib"))
        for path in (ROOT / "chalicelib").rglob("*.py")
        if any(name == client or name.startswith(client + ".") for name in imports(path) for client in clients)
    }
    assert {holder for holder in holders if not holder.startswith("outbound/")} == {"store/wire.py", "store/http11.py"}
    assert importing("chalicelib.store.http11") == {"store"}


def test_outbound_knows_no_protocol_and_is_used_by_the_protocol_and_admin():
    """outbound takes plain values (a URL, a policy) and reaches only the deployment settings
    and the AWS clients (its queue); the protocol (delivery), admin (registration checks)
    and mail (its jobs share the queue) use it."""
    for path in modules("outbound"):
        ours = {name for name in imports(path) if name.startswith("chalicelib")}
        assert ours <= {"chalicelib", "chalicelib.settings", "chalicelib.keys", "chalicelib.keys.aws"} | {
            name for name in ours if name.startswith("chalicelib.outbound")
        }, f"{path} imports {ours}"
    assert importing("chalicelib.outbound") <= {"outbound", "oidc", "admin", "mail", "resource_server"}


def test_mail_is_sent_by_the_mail_package_alone_and_reached_by_the_pages_and_the_queue():
    """``chalicelib/mail`` is the only code that calls SES; the protocol's pages (which queue
    jobs) and the queue's consumer (which delivers them) reach it; it reaches no page and no
    framework, and the protocol never sends mail itself."""
    senders = {
        str(path.relative_to(ROOT / "chalicelib"))
        for path in (ROOT / "chalicelib").rglob("*.py")
        if re.search(r"[\"']sesv2?[\"']", path.read_text())
    }
    assert senders == {"mail/ses.py"}
    assert importing("chalicelib.mail") <= {"mail", "oidc", "web"}
    for path in modules("mail"):
        upward = {
            name for name in imports(path) if name.startswith(("chalicelib.oidc", "chalicelib.web", "chalicelib.admin"))
        }
        assert not upward, f"{path} imports {upward}"


def test_only_the_web_layer_reaches_the_console_and_the_console_knows_no_framework():
    """``chalicelib/console`` (the tenant admin console's pages) is plain values in and out,
    like the protocol's endpoints: only ``chalicelib/web`` routes to it, and it reaches the
    store, the admin services and the protocol, never Chalice, PynamoDB or boto3."""
    assert importing("chalicelib.console") <= {"web", "console"}
    for path in modules("console"):
        forbidden = {name for name in imports(path) if name.split(".")[0] in {"chalice", "boto3", "pynamodb"}}
        assert not forbidden, f"{path.name} imports {forbidden}"


def test_only_the_web_layer_reaches_the_account_page_and_the_account_page_knows_no_framework():
    """``chalicelib/account`` (a user's own account page) is plain values in and out, like the
    console: only ``chalicelib/web`` routes to it, and it never imports Chalice, PynamoDB or boto3."""
    assert importing("chalicelib.account") <= {"web", "account"}
    for path in modules("account"):
        forbidden = {name for name in imports(path) if name.split(".")[0] in {"chalice", "boto3", "pynamodb"}}
        assert not forbidden, f"{path.name} imports {forbidden}"


def test_only_the_web_layer_reaches_the_device_page_and_the_device_page_knows_no_framework():
    """``chalicelib/device`` (the device authorization grant's page, RFC 8628 §3.3) is plain
    values in and out like the account page: only ``chalicelib/web`` routes to it."""
    assert importing("chalicelib.device") <= {"web", "device"}
    for path in modules("device"):
        forbidden = {name for name in imports(path) if name.split(".")[0] in {"chalice", "boto3", "pynamodb"}}
        assert not forbidden, f"{path.name} imports {forbidden}"


def test_the_providers_own_sign_in_is_one_module_for_its_own_pages():
    """``chalicelib/own_rp.py`` (the provider as its own relying party: PKCE, state, nonce,
    the ID token's verification) serves the console, the account page and the device page, no
    one else, and knows no framework."""
    users = {
        str(path.relative_to(ROOT / "chalicelib")).split("/")[0]
        for path in (ROOT / "chalicelib").rglob("*.py")
        if re.search(r"chalicelib(\.own_rp| import .*\bown_rp\b)", path.read_text())
    }
    assert users == {"account", "console", "device"}
    forbidden = {
        name
        for name in imports(ROOT / "chalicelib" / "own_rp.py")
        if name.split(".")[0] in {"chalice", "boto3", "pynamodb"}
    }
    assert not forbidden


def test_tenant_templates_are_checked_and_rendered_by_one_package_that_knows_no_framework_or_store():
    """``chalicelib/templating`` (tenant templates: the sandbox, the documented context,
    validation) is used by the admin services (validation) and the console (its names), the web
    layer (pages) and mail (messages); it reaches none of them, nor Chalice, PynamoDB, boto3 or
    the store."""
    assert importing("chalicelib.templating") <= {"web", "admin", "console", "mail", "templating"}
    for path in modules("templating"):
        forbidden = {
            name
            for name in imports(path)
            if name.split(".")[0] in {"chalice", "boto3", "botocore", "pynamodb"}
            or name.startswith(("chalicelib.store", "chalicelib.web", "chalicelib.admin", "chalicelib.oidc"))
        }
        assert not forbidden, f"{path.name} imports {forbidden}"


def test_boto3_is_not_imported_at_runtime():
    """botocore is enough; boto3's import would lengthen every cold start."""
    assert importing("boto3") == set()


def test_every_aws_client_comes_from_the_one_session():
    """A botocore session costs a cold start its set-up; PynamoDB's is replaced by it too."""
    assert importing("botocore.session") == {"aws_session.py"}


def test_a_cold_start_imports_no_endpoint_and_no_heavy_library_before_it_needs_them():
    """A fresh Lambda container imports app.py, then serves one request: discovery (the
    usual first one) needs neither the other endpoints nor the crypto and page libraries."""
    code = "import app, json, sys; print(json.dumps(sorted(sys.modules)))"
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, check=True).stdout)
    endpoints = {name for name in loaded if name.startswith("chalicelib.oidc.endpoints.")}
    assert endpoints == {"chalicelib.oidc.endpoints.discovery"}
    heavy = {"boto3", "jinja2", "cryptography", "jwt", "argon2"}
    assert not {name.split(".")[0] for name in loaded} & heavy


def test_infra_table_matches_the_models():
    from chalicelib.store.models import TTL_ATTRIBUTE, Item
    from infra.tables import table_properties

    spec = table_properties()
    schema = Item._get_schema()
    assert sorted(spec["KeySchema"], key=str) == sorted(schema["key_schema"], key=str)
    assert sorted(spec["AttributeDefinitions"], key=str) == sorted(schema["attribute_definitions"], key=str)
    assert spec["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
    assert not schema["global_secondary_indexes"] and not schema["local_secondary_indexes"]


def test_uri_syntax_is_a_leaf_that_every_package_may_import():
    """``chalicelib/uris.py`` (strict URI syntax) serves tenancy, oidc, admin and web alike:
    it imports only the standard library, so it can never close an import cycle."""
    assert not {name for name in imports(ROOT / "chalicelib" / "uris.py") if name.startswith("chalicelib")}


def test_observability_is_a_leaf_that_every_package_may_import():
    """``chalicelib/observability`` (log lines, metrics) is used from the routes down to the
    protocol core: it imports only the standard library, the deployment settings and
    itself (and botocore's retry rules, for the throttle counter that aws_session registers and
    the store's DynamoDB client calls),
    so it never closes an import cycle and never drags a framework into ``oidc``."""
    stdlib = set(sys.stdlib_module_names)
    for path in modules("observability"):
        for name in imports(path):
            top = name.split(".")[0]
            allowed = top in stdlib or name == "chalicelib.settings" or name.startswith("chalicelib.observability")
            assert allowed or (path.name == "throttles.py" and name.startswith("botocore.")), f"{path.name}: {name}"
    users = {
        str(path.relative_to(ROOT / "chalicelib"))
        for path in (ROOT / "chalicelib").rglob("*.py")
        if re.search(r"observability(\.| import )throttles", path.read_text())
    }
    assert users == {"aws_session.py", "store/wire.py"}


def test_the_rotation_schedule_is_written_by_the_key_services_alone():
    """The schedule's hints (chalicelib/store/rotation.py) are written with the tenant's key
    changes, by the admin key services and the scheduled run, and read by nothing else."""
    users = set()
    for path in sorted((ROOT / "chalicelib").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (
                node.module == "chalicelib.store.rotation"
                or (node.module == "chalicelib.store" and any(alias.name == "rotation" for alias in node.names))
            ):
                users.add(str(path.relative_to(ROOT / "chalicelib")))
    assert users == {"admin/keys.py", "admin/rotation.py"}


def test_languages_are_a_leaf_and_babel_stays_a_tool():
    """``chalicelib/i18n`` (names, negotiation, the compiled catalogs) is imported by the
    protocol, tenancy and the web layer, so it imports only itself; Babel writes the catalogs
    (infra/catalogs.py) and is never imported by the provider (the stdlib reads .mo files)."""
    for path in modules("i18n"):
        ours = {name for name in imports(path) if name.startswith("chalicelib")}
        assert ours <= {"chalicelib.i18n"}, f"{path} imports {ours}"
    assert importing("babel") == set()
