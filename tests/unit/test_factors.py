"""The rules of second factors without the pages: acr levels and step-up, TOTP steps and
replay, recovery codes spent once, enrolment once, per tenant; and the operator's reset over
the admin API and the CLI, and a deleted user's factors going with it."""

from __future__ import annotations

import json
import time

import pyotp
import pytest

from chalicelib.accounts import factors
from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin import users as user_admin
from chalicelib.oidc import acr
from chalicelib.store.factors import list_factors
from tests.support.browser import HOST
from tests.unit.test_openapi import document, properties

__all__ = ["document"]
MFA, SFA = acr.MULTI_FACTOR, acr.SINGLE_FACTOR
NOW = 1_800_000_000


@pytest.mark.parametrize(
    ("acr_values", "amr", "policy", "expected"),
    [
        ((), ["pwd"], "optional", False),
        ((MFA,), ["pwd"], "optional", True),
        ((MFA,), ["pwd"], "off", False),  # the tenant has no second factors: the ID token says sfa
        ((MFA,), ["pwd", "otp", "mfa"], "optional", False),
        ((SFA, MFA), ["pwd"], "optional", False),  # the weakest level asked for will do
        (("urn:other:gold",), ["pwd"], "optional", False),  # unknown values are voluntary
        ((), ["pwd"], "required", True),  # a session from before the tenant required it
        ((SFA,), ["pwd"], "required", True),
        ((), ["pwd", "otp", "mfa"], "required", False),
    ],
)
def test_step_up(acr_values, amr, policy, expected):
    assert acr.needs_step_up(acr_values, amr, policy) is expected


@pytest.mark.parametrize(
    ("amr", "value"), [(["pwd"], SFA), (["pwd", "otp", "mfa"], MFA), ((), SFA), (["pwd", "mfa"], MFA)]
)
def test_acr_of_amr(amr, value):
    assert acr.acr_for(amr) == value


@pytest.mark.parametrize("value", [" ".join(["x"] * 17), "y" * 257])
def test_absurd_acr_values_are_refused(value):
    with pytest.raises(ValueError):
        acr.parse_acr_values(value)


@pytest.mark.parametrize(("offset", "accepted"), [(-60, False), (-30, True), (0, True), (30, True), (60, False)])
def test_totp_accepts_one_step_of_drift(offset, accepted):
    secret = factors.new_secret()
    code = pyotp.TOTP(secret).at(NOW + offset)
    assert (factors.matching_step(secret, code, NOW) is not None) is accepted


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦", "12 3456"])
def test_totp_codes_are_six_ascii_digits(code):
    assert factors.matching_step(factors.new_secret(), code, NOW) is None


def enrolled(user, now: int | None = None) -> tuple[str, tuple[str, ...]]:
    secret, now = factors.new_secret(), now or int(time.time())
    enrolment = factors.enrol(user.tenant_id, user.sub, user.epoch, secret, pyotp.TOTP(secret).at(now), now)
    assert enrolment is not None
    return secret, enrolment.recovery_codes


def test_enrolment_is_once_and_each_step_is_used_once(user, table_items):
    now = int(time.time())
    secret, codes = enrolled(user, now)
    # A second enrolment (another tab, a replay) writes nothing.
    other = factors.new_secret()
    assert factors.enrol("acme", user.sub, user.epoch, other, pyotp.TOTP(other).at(now), now) is None
    found = list_factors("acme", user.sub)
    assert factors.open_secret("acme", user.sub, next(f.secret for f in found if f.method == "totp")) == secret
    # The enrolment's step is spent; the next one works once.
    assert factors.verify("acme", user.sub, found, pyotp.TOTP(secret).at(now), now) is None
    later = pyotp.TOTP(secret).at(now + 30)
    assert factors.verify("acme", user.sub, found, later, now + 30) == "totp"
    assert factors.verify("acme", user.sub, found, later, now + 30) is None
    # An older step after a newer one is a replay too.
    assert factors.verify("acme", user.sub, found, pyotp.TOTP(secret).at(now), now + 30) is None
    assert len(codes) == factors.RECOVERY_CODES == 10
    assert secret not in json.dumps(table_items())


def test_recovery_codes_are_spent_once_in_any_spelling(user):
    _, codes = enrolled(user)
    found = list_factors("acme", user.sub)
    assert factors.verify("acme", user.sub, found, f"  {codes[0].upper()} ", NOW) == "recovery"
    for spelling in (codes[0], codes[0].replace("-", "")):
        assert factors.verify("acme", user.sub, found, spelling, NOW) is None
    assert factors.remaining_recovery_codes(list_factors("acme", user.sub)) == 9
    assert factors.verify("acme", user.sub, found, "aaaaa-aaaaa", NOW) is None


def test_a_disabled_user_cannot_enrol(user):
    user_admin.set_active("acme", "alice", False)
    secret = factors.new_secret()
    assert factors.enrol("acme", user.sub, user.epoch, secret, pyotp.TOTP(secret).now(), int(time.time())) is None
    assert list_factors("acme", user.sub) == []


def test_another_tenant_reads_and_opens_nothing(user):
    enrolled(user)
    tenant_admin.create_tenant("other", "Other")
    assert list_factors("other", user.sub) == []
    sealed = next(f.secret for f in list_factors("acme", user.sub) if f.method == "totp")
    assert factors.open_secret("other", user.sub, sealed) is None
    assert factors.open_secret("acme", "another-sub", sealed) is None


def test_an_operator_resets_the_second_factor_over_the_api_and_the_cli(http, user, document):
    from click.testing import CliRunner

    from chalicelib.admin.cli import cli

    enrolled(user)
    key, _ = tenant_admin.issue_admin_key("acme")
    headers = {"host": HOST, "authorization": f"Bearer {key}", "content-type": "application/json"}
    reset = http.post("/admin/tenants/acme/users/ALICE/reset-second-factor", headers=headers, body="{}")
    assert reset.status_code == 200, reset.body
    answer = json.loads(reset.body)
    assert answer["factors_removed"] == 2 and answer["sub"] == user.sub
    assert set(answer) == properties(document, "UserSecondFactorReset")
    assert list_factors("acme", user.sub) == []
    missing = http.post("/admin/tenants/acme/users/nobody/reset-second-factor", headers=headers, body="{}")
    assert missing.status_code == 404

    enrolled(user)
    result = CliRunner().invoke(cli, ["users", "reset-second-factor", "acme", "alice"])
    assert result.exit_code == 0 and json.loads(result.output)["factors_removed"] == 2
    assert list_factors("acme", user.sub) == []


def test_deleting_a_user_deletes_its_factors(user, table_items):
    enrolled(user)
    user_admin.delete_user("acme", "alice")
    assert not [item for item in table_items() if item["sk"]["S"].startswith("factor#")]


def test_an_app_code_typed_in_two_groups_confirms_enrolment(user):
    secret, now = factors.new_secret(), int(time.time())
    code = pyotp.TOTP(secret).at(now)
    assert factors.enrol("acme", user.sub, user.epoch, secret, f" {code[:3]} {code[3:]} ", now) is not None
