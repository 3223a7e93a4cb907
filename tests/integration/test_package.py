"""What ``make package`` and ``chalice package`` build for Lambda: the app, its pages, its
pinned dependencies, their bytecode, the pruned botocore data, and a least-privilege
policy scoped to the stage; nothing of the tests or the dev tooling. The merged template's
capacity (reserved concurrency, stage throttling) and the README's deployment commands."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import botocore
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def generated():
    """What `make package` generates into the working tree before `chalice package`."""
    subprocess.run([sys.executable, "-m", "infra.package"], cwd=ROOT, check=True, capture_output=True)


def test_deployment_package(tmp_path):
    chalice = str(Path(sys.executable).with_name("chalice"))
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    subprocess.run(
        [chalice, "package", "--stage", "prod", str(tmp_path)], cwd=ROOT, env=env, check=True, capture_output=True
    )
    names = set(zipfile.ZipFile(tmp_path / "deployment.zip").namelist())
    templates = {f"templates/{path.relative_to(ROOT / 'templates')}" for path in (ROOT / "templates").rglob("*.html")}
    assert "templates/console/layout.html" in templates and templates <= names  # shipped through the vendor/ symlink
    assert {
        "app.py",
        "chalicelib/web/pages.py",
        "chalicelib/admin/openapi.json",  # the admin API's description, served at <base>/admin/openapi.json
        # The pages' compiled catalogs, read with gettext (Babel, which writes them, is not shipped).
        *(f"chalicelib/i18n/locale/{language}/LC_MESSAGES/messages.mo" for language in ("en", "de", "fr")),
        "jwt/__init__.py",
        "pynamodb/__init__.py",
        "argon2/__init__.py",
        "pyotp/__init__.py",  # second factors: TOTP codes and the enrolment page's QR code
        "segno/__init__.py",
        "webauthn/__init__.py",  # passkeys
        "OpenSSL/__init__.py",
    } <= names
    assert not any(name.startswith(("tests/", "infra/", ".venv/", "moto/", "babel/")) for name in names)
    # chalicelib.aws_session finds the pruned data at the package root, made from the botocore
    # that the package ships (both pinned by requirements.txt).
    data = zipfile.ZipFile(tmp_path / "deployment.zip").read("botocore-data/botocore-version").decode()
    assert data == botocore.__version__ == _pinned("botocore")
    assert {f"botocore-data/{s}.json" for s in ("endpoints", "dynamodb/2012-08-10/service-2")} <= names

    template = json.loads((tmp_path / "sam.json").read_text())
    function = template["Resources"]["APIHandler"]["Properties"]
    assert function["Environment"]["Variables"]["TABLE_NAME"] == "oidc-prod"
    policy = json.dumps(template["Resources"]["ApiHandlerRole"]["Properties"]["Policies"])
    assert "table/oidc-prod" in policy and "dynamodb:Scan" not in policy and "kms:Sign" in policy
    # Back-channel logout delivery: its own function, fed by the stage's queue, one message a time.
    delivery = template["Resources"]["DeliverBackchannelLogout"]["Properties"]
    assert delivery["Handler"] == "chalicelib.web.queues.deliver_backchannel_logout"
    (source,) = delivery["Events"].values()
    assert source["Type"] == "SQS" and source["Properties"]["BatchSize"] == 1
    queue = "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:oidc-prod-backchannel"
    assert source["Properties"]["Queue"] == {"Fn::Sub": queue}  # the stage's queue, by its name
    assert function["Environment"]["Variables"]["BACKCHANNEL_QUEUE"] == "oidc-prod-backchannel"


def test_every_module_ships_the_bytecode_of_its_source(tmp_path):
    """Lambda's /var/task is read-only, so what Python compiles there is not cached: without
    bytecode in the package every cold start compiles botocore and the app from source.
    Each .pyc must be hash-checked and made from the source beside it, or Python ignores it."""
    chalice = str(Path(sys.executable).with_name("chalice"))
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    subprocess.run(
        [chalice, "package", "--stage", "prod", str(tmp_path)], cwd=ROOT, env=env, check=True, capture_output=True
    )
    package = zipfile.ZipFile(tmp_path / "deployment.zip")
    names = set(package.namelist())
    # Modules, that is: not the scripts a wheel's .data/ directory carries.
    sources = sorted(name for name in names if name.endswith(".py") and ".data/" not in name)
    assert {"app.py", "chalicelib/aws_session.py", "chalice/app.py", "botocore/client.py"} <= set(sources)
    for source in sources:
        cached = importlib.util.cache_from_source(source)
        assert cached in names, f"no bytecode for {source}"
        pyc = package.read(cached)
        assert pyc[:4] == importlib.util.MAGIC_NUMBER
        assert int.from_bytes(pyc[4:8], "little") == 0b11, f"{cached} is not hash-checked"
        assert pyc[8:16] == importlib.util.source_hash(package.read(source)), f"{cached} is stale"


def test_merged_cloudformation_template_is_valid(tmp_path):
    """The deployable stack: Chalice's template with infra/resources.json merged in, checked
    by cfn-lint; the function reads the table and secret the stack creates."""
    chalice = str(Path(sys.executable).with_name("chalice"))
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    command = [chalice, "package", "--stage", "prod", "--merge-template", "infra/resources.json", str(tmp_path)]
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    lint = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), str(tmp_path / "sam.json")], capture_output=True, text=True
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr

    template = json.loads((tmp_path / "sam.json").read_text())
    resources = template["Resources"]
    table = resources["OidcTable"]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    variables = resources["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert variables["TABLE_NAME"] == {"Ref": "OidcTable"} and variables["MASTER_SECRET_ID"] == {"Ref": "MasterSecret"}
    statements = resources["ApiHandlerRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    table_access = next(s for s in statements if s["Sid"] == "TableItems")
    assert table_access["Resource"] == {"Fn::GetAtt": ["OidcTable", "Arn"]}
    assert not any(action.endswith(("Scan", "*")) for s in statements for action in _actions(s))
    _check_backchannel_queue(resources, statements)
    for function, (role, name) in FUNCTIONS.items():
        _check_scoped_to_the_stage(resources, function, role, name)
    _check_key_rotation(resources)
    _check_capacity(template)
    _check_transport_security(resources["RestAPI"]["Properties"])


def _check_backchannel_queue(resources: dict, api_statements: list[dict]) -> None:
    """Logout queues back-channel notices (the API may only send to that queue); the delivery
    function consumes them (receive and delete, there only) and reads what a logout token
    needs, nothing else; a notice is tried 5 times, then kept in the dead-letter queue."""
    queue_arn = {"Fn::GetAtt": ["BackchannelQueue", "Arn"]}
    queue = resources["BackchannelQueue"]["Properties"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["BackchannelDeadLetterQueue", "Arn"]},
        "maxReceiveCount": 5,
    }
    delivery = resources["DeliverBackchannelLogout"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * delivery["Timeout"]  # AWS's advice for event sources
    (source,) = delivery["Events"].values()
    assert source["Properties"]["Queue"] == {"Fn::Sub": "${BackchannelQueue.Arn}"}
    for function in ("APIHandler", "DeliverBackchannelLogout"):
        variables = resources[function]["Properties"]["Environment"]["Variables"]
        assert variables["BACKCHANNEL_QUEUE"] == {"Fn::GetAtt": ["BackchannelQueue", "QueueName"]}
    send = next(s for s in api_statements if s["Sid"] == "QueueBackchannelLogout")
    assert set(_actions(send)) == {"sqs:SendMessage", "sqs:GetQueueUrl"} and send["Resource"] == queue_arn
    role = resources["DeliverBackchannelLogoutRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    consume = next(s for s in role if s["Sid"] == "ConsumeBackchannelLogout")
    assert set(_actions(consume)) == {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
    assert consume["Resource"] == queue_arn
    actions = {action for s in role for action in _actions(s)}
    # Reads, and a mail job's one write: its link's token (a conditional PutItem).
    table_actions = {action for action in actions if action.startswith("dynamodb:")}
    assert not table_actions - {"dynamodb:GetItem", "dynamodb:PutItem"}
    assert "sqs:SendMessage" not in actions and "kms:Encrypt" not in actions
    mail = next(s for s in role if s["Sid"] == "SendTenantMail")
    assert _actions(mail) == ["ses:SendEmail"] and mail["Resource"] == {"Fn::Sub": ACCOUNT % "ses" + "identity/*"}


# Each function, its role, and its name (the same as `chalice deploy` gives it): the name
# is set in the template so that its role can name the function's log groups (a reference to
# the function itself would be circular: the function refers to its role).
FUNCTIONS = {
    "APIHandler": ("ApiHandlerRole", "oidc-provider-${Stage}"),
    "DeliverBackchannelLogout": ("DeliverBackchannelLogoutRole", "oidc-provider-${Stage}-deliver_backchannel_logout"),
}
ACCOUNT = "arn:${AWS::Partition}:%s:${AWS::Region}:${AWS::AccountId}:"
DEPLOYMENT_KEYS = ("ClientSecretKey", "SigningKeyWrappingKey")
# Envelope keys are unwrapped (and wrapped, by the schedule) only with a context naming the
# key's purpose and this stage (chalicelib/keys/envelope.py).
WRAPPED_FOR_THE_STAGE = {
    "StringEquals": {
        "kms:EncryptionContext:purpose": "oidc-signing-key",
        "kms:EncryptionContext:stage": {"Ref": "Stage"},
    }
}


def _check_key_rotation(resources: dict) -> None:
    """The scheduled rotation: its own function and role, one run at a time; it reads and
    writes the table's items (no Scan), wraps new envelope keys for its stage only, and
    creates Secrets Manager and KMS keys only under the stage's names and tags."""
    function = resources["RotateSigningKeys"]["Properties"]
    assert function["Handler"] == "chalicelib.web.schedule.rotate_signing_keys"
    assert function["FunctionName"] == {"Fn::Sub": "oidc-provider-${Stage}-rotate_signing_keys"}
    assert function["ReservedConcurrentExecutions"] == 1 and function["Timeout"] == 300
    (event,) = function["Events"].values()
    assert event["Type"] == "Schedule" and event["Properties"]["Schedule"] == "rate(10 minutes)"
    variables = function["Environment"]["Variables"]
    assert variables["TABLE_NAME"] == {"Ref": "OidcTable"} and variables["DEPLOYMENT_STAGE"] == {"Ref": "Stage"}
    statements = resources["RotateSigningKeysRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    by_sid = {s["Sid"]: s for s in statements}
    assert set(_actions(by_sid["TableItems"])) == {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
        "dynamodb:Query",
    }
    wrap = by_sid["WrapEnvelopeSigningKeys"]
    assert _actions(wrap) == ["kms:GenerateDataKey"] and wrap["Condition"] == WRAPPED_FOR_THE_STAGE
    assert not any(
        a in ("kms:Decrypt", "kms:Sign", "secretsmanager:GetSecretValue") for s in statements for a in _actions(s)
    )
    create = by_sid["CreateTenantKmsKeys"]
    assert create["Condition"]["StringEquals"] == {"aws:RequestTag/oidc-stage": {"Ref": "Stage"}}
    secrets = by_sid["CreateSigningSecrets"]["Resource"]
    assert secrets == {"Fn::Sub": ACCOUNT % "secretsmanager" + "secret:oidc/${Stage}/keys/*"}
    assert not [s for s in statements if s["Resource"] == "*" and "Condition" not in s]


def _check_scoped_to_the_stage(resources: dict, function: str, role: str, name: str) -> None:
    """Logs only to the function's own groups; kms:Sign only with this account's keys that
    are tagged with this stage (and a tenant); secrets only under the stage's names."""
    properties = resources[function]["Properties"]
    assert properties["FunctionName"] == {"Fn::Sub": name}
    assert properties["Environment"]["Variables"]["DEPLOYMENT_STAGE"] == {"Ref": "Stage"}  # the CLI's tag value
    statements = resources[role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    logs = next(s for s in statements if s["Sid"] == "Logs")
    group = ACCOUNT % "logs" + f"log-group:/aws/lambda/{name}"
    assert logs["Resource"] == [{"Fn::Sub": group}, {"Fn::Sub": group + ":*"}]
    assert all(a.startswith("logs:") for a in _actions(logs))
    assert not [s for s in statements if s is not logs and any(a.startswith("logs:") for a in _actions(s))]
    sign = next(s for s in statements if "kms:Sign" in _actions(s))
    assert _actions(sign) == ["kms:Sign"] and sign["Resource"] == {"Fn::Sub": ACCOUNT % "kms" + "key/*"}
    assert sign["Condition"] == {
        "StringEquals": {"aws:ResourceTag/oidc-stage": {"Ref": "Stage"}},
        "Null": {"aws:ResourceTag/oidc-tenant": "false"},
    }
    for statement in statements:  # every other KMS permission is on the deployment's own keys
        if statement is not sign and any(a.startswith("kms:") for a in _actions(statement)):
            assert statement["Resource"] in ({"Fn::GetAtt": [key, "Arn"]} for key in DEPLOYMENT_KEYS)
    unwrap = next(s for s in statements if s["Sid"] == "EnvelopeSigningKeys")
    assert _actions(unwrap) == ["kms:Decrypt"] and unwrap["Condition"] == WRAPPED_FOR_THE_STAGE
    assert properties["Environment"]["Variables"]["KEY_WRAPPING_KEY_ID"] == {"Fn::GetAtt": [DEPLOYMENT_KEYS[1], "Arn"]}
    secrets = [s for s in statements if "secretsmanager:GetSecretValue" in _actions(s)]
    stage_keys = {"Fn::Sub": ACCOUNT % "secretsmanager" + "secret:oidc/${Stage}/keys/*"}
    assert all(r in ({"Ref": "MasterSecret"}, stage_keys) for s in secrets for r in _resources(s))
    assert not [s for s in statements if s["Resource"] == "*" and "Condition" not in s]


def _check_capacity(template: dict) -> None:
    """Reserved concurrency for both functions and throttling on the API stage, as
    parameters with their defaults; the delivery function's reservation is at least the
    concurrency its queue may ask for (below it, deliveries would be throttled into retries)."""
    resources, parameters = template["Resources"], template["Parameters"]
    for function, parameter in [
        ("APIHandler", "ApiReservedConcurrency"),
        ("DeliverBackchannelLogout", "DeliveryReservedConcurrency"),
    ]:
        condition = "Reserves" + parameter.removesuffix("ReservedConcurrency") + "Concurrency"
        reserved = resources[function]["Properties"]["ReservedConcurrentExecutions"]
        assert reserved == {"Fn::If": [condition, {"Ref": parameter}, {"Ref": "AWS::NoValue"}]}
        assert template["Conditions"][condition] == {"Fn::Not": [{"Fn::Equals": [{"Ref": parameter}, "0"]}]}
        assert parameters[parameter]["Type"] == "Number" and parameters[parameter]["MinValue"] == 0
    assert parameters["ApiReservedConcurrency"]["Default"] == 100
    (source,) = resources["DeliverBackchannelLogout"]["Properties"]["Events"].values()
    assert (
        parameters["DeliveryReservedConcurrency"]["Default"]
        >= source["Properties"]["ScalingConfig"]["MaximumConcurrency"]
    )
    (settings,) = resources["RestAPI"]["Properties"]["MethodSettings"]
    assert settings == {
        "ResourcePath": "/*",
        "HttpMethod": "*",
        "ThrottlingRateLimit": {"Ref": "ApiThrottlingRateLimit"},
        "ThrottlingBurstLimit": {"Ref": "ApiThrottlingBurstLimit"},
    }
    rate, burst = parameters["ApiThrottlingRateLimit"], parameters["ApiThrottlingBurstLimit"]
    assert rate["Type"] == burst["Type"] == "Number" and 0 < rate["Default"] <= burst["Default"]


def _check_transport_security(api: dict) -> None:
    """API Gateway's own answers (unknown path 403, throttled 429, 5xx) carry HSTS too."""
    from chalicelib.web.responses import HSTS

    for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
        assert api["GatewayResponses"][kind]["ResponseParameters"]["Headers"] == {
            "Strict-Transport-Security": f"'{HSTS}'"
        }
    # An unknown path or method: a 404 with a fixed body (JSON, or a page by Accept), not the
    # default 403 that quotes the caller's Authorization header; the dev server serves the same.
    not_found = api["GatewayResponses"]["MISSING_AUTHENTICATION_TOKEN"]
    assert not_found["StatusCode"] == "404" and set(not_found["ResponseTemplates"]) == {"application/json", "text/html"}
    assert not_found["ResponseParameters"]["Headers"]["Strict-Transport-Security"] == f"'{HSTS}'"


def _as_deployed(resource: object, stage: str) -> object:
    """A template resource as `chalice deploy`'s static policy files write it: the stage
    substituted, any partition, region and account."""
    if isinstance(resource, dict) and "Fn::Sub" in resource:
        resource = resource["Fn::Sub"]
    if isinstance(resource, dict) and resource == {"Ref": "Stage"}:
        return stage
    if isinstance(resource, dict):
        return {key: _as_deployed(value, stage) for key, value in resource.items()}
    if isinstance(resource, list):
        return [_as_deployed(item, stage) for item in resource]
    text = str(resource).replace("${Stage}", stage)
    return re.sub(r"\$\{AWS::(Partition|Region|AccountId)\}", "*", text)


def _pinned(name: str) -> str:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return next(line.split("==")[1] for line in lines if line.startswith(f"{name}=="))


def _actions(statement: dict) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def _resources(statement: dict) -> list:
    resource = statement["Resource"]
    return resource if isinstance(resource, list) else [resource]


@pytest.mark.parametrize(
    ("role", "policy_file"),
    [
        ("ApiHandlerRole", "policy-{stage}.json"),
        ("DeliverBackchannelLogoutRole", "policy-{stage}-delivery.json"),
        ("RotateSigningKeysRole", "policy-{stage}-rotation.json"),
    ],
)
def test_chalice_deploy_policies_grant_what_the_stack_grants(role, policy_file):
    """`chalice deploy` uses .chalice/policy-<stage>.json (and the delivery function its own
    file, as .chalice/config.json says), the stack its own roles: the same actions (never
    Scan; Query only for the admin API's listings, within the table)."""
    template = json.loads((ROOT / "infra" / "resources.json").read_text())
    stack = template["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    expected = {s["Sid"]: set(_actions(s)) for s in stack}
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    for stage in ("dev", "prod"):
        settings = config["stages"][stage]
        if role != "ApiHandlerRole":
            function = {"DeliverBackchannelLogoutRole": "deliver_backchannel_logout"}.get(role, "rotate_signing_keys")
            settings = settings["lambda_functions"][function]
        assert settings["iam_policy_file"] == policy_file.format(stage=stage)
        policy = json.loads((ROOT / ".chalice" / policy_file.format(stage=stage)).read_text())["Statement"]
        assert {s["Sid"]: set(_actions(s)) for s in policy} == expected
        # Scoped to the stage as the stack is: the same log groups (Chalice names the functions
        # as the template does), the same signing condition with the stage's value.
        for sid in {"Logs", "TenantSigningKeysInKms"} & set(expected):
            deployed, stacked = (next(s for s in statements if s["Sid"] == sid) for statements in (policy, stack))
            assert deployed["Resource"] == _as_deployed(stacked["Resource"], stage)
            assert deployed.get("Condition", {}) == _as_deployed(stacked.get("Condition", {}), stage)
        master = [r for s in policy for r in _resources(s) if "/master" in r]
        assert master in ([], [f"arn:*:secretsmanager:*:*:secret:oidc/{stage}/master-??????"])  # the random suffix
        # Reserved concurrency: chalice deploy sets it per function.
        minimum = 1 if role == "RotateSigningKeysRole" else 10  # one rotation run at a time
        assert isinstance(settings["reserved_concurrency"], int) and settings["reserved_concurrency"] >= minimum
    assert not any(action.endswith("Scan") for actions in expected.values() for action in actions)


def test_readme_deploys_with_the_templates_parameters_and_the_clis_settings():
    """The README's deployment commands name every parameter of the template (and no other),
    and export only environment variables the provisioning CLI reads, the stage among them."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Deploying to AWS") : readme.index("## Design")]
    template = json.loads((ROOT / "infra" / "resources.json").read_text())
    (deploy,) = _commands(section, "aws cloudformation deploy")
    assert set(re.findall(r"\b([A-Z][A-Za-z]+)=", deploy)) == set(template["Parameters"])
    settings = (ROOT / "chalicelib" / "settings.py").read_text()
    exports = _commands(section, "export ")
    assert len(exports) == 3  # the region; the CLI after a stack; the CLI and chalice deploy
    for export in exports[1:]:
        names = set(re.findall(r"\b([A-Z][A-Z_]+)=", export)) - {"AWS_DEFAULT_REGION"}
        assert {"TABLE_NAME", "DEPLOYMENT_STAGE", "KMS_ALIAS_PREFIX"} <= names
        assert all(f'"{name}"' in settings for name in names), names


def _commands(text: str, start: str) -> list[str]:
    """Every shell command in ``text`` that begins with ``start``, its continued lines joined."""
    return [match.replace("\\\n", " ") for match in re.findall(rf"^{start}(?:[^\n]*\\\n)*[^\n]*", text, re.M)]
