"""Authentication context: how a session was established (``amr``, RFC 8176) and how strong
that is (``acr``, OIDC Core §2), and whether a request asks for more (step-up).

Two levels, each an ``acr`` value of this provider's own (OIDC Core leaves them to the OP;
discovery lists them in ``acr_values_supported``):

- ``urn:oidc-op:acr:sfa``: one factor, the password (``amr`` ``["pwd"]``);
- ``urn:oidc-op:acr:mfa``: two factors, the password and a one-time code from an
  authenticator app or a recovery code (``amr`` ``["pwd", "otp", "mfa"]``), or a passkey
  with user verification, alone or after the password (``amr`` ``["hwk"|"swk", "user",
  "mfa"]``, ``chalicelib.accounts.passkeys``). A code is phishable (a fake page can relay
  it), a passkey is not: RPs that need the difference read ``amr``; a distinct level would
  need step-up per factor, which is not built.

An RP asks for a level with ``acr_values`` (OIDC Core §3.1.2.1: in order of preference);
a session weaker than every level it names is asked for what it lacks. Unknown values are
ignored: ``acr_values`` is a voluntary claim, and the ID token says what was achieved.
"""

from __future__ import annotations

from collections.abc import Iterable

SINGLE_FACTOR = "urn:oidc-op:acr:sfa"
MULTI_FACTOR = "urn:oidc-op:acr:mfa"
LEVELS = {SINGLE_FACTOR: 1, MULTI_FACTOR: 2}
SUPPORTED = (SINGLE_FACTOR, MULTI_FACTOR)

PASSWORD_AMR = ("pwd",)
MFA_AMR = ("pwd", "otp", "mfa")
# Sessions stored before sessions remembered it were established with a password.
DEFAULT_AMR = PASSWORD_AMR


def level_of(amr: Iterable[str]) -> int:
    return LEVELS[MULTI_FACTOR] if "mfa" in amr else LEVELS[SINGLE_FACTOR]


def acr_for(amr: Iterable[str], essential: Iterable[str] = ()) -> str:
    """The level a session established by ``amr`` reached; or, when the claims parameter
    asked for acr as essential (OIDC Core §5.5.1.1: the value returned MUST be one asked
    for), the strongest asked-for level the session reaches."""
    reached = level_of(amr)
    asked = [value for value in essential if LEVELS.get(value, reached + 1) <= reached]
    if asked:
        return max(asked, key=LEVELS.__getitem__)
    return MULTI_FACTOR if reached == LEVELS[MULTI_FACTOR] else SINGLE_FACTOR


def parse_acr_values(value: str | None) -> tuple[str, ...]:
    """The space-separated values, in order, at most 16 of at most 256 characters (more
    is no preference anyone states; it is refused as a malformed request)."""
    if not value:
        return ()
    values = tuple(value.split())
    if len(values) > 16 or any(len(one) > 256 for one in values):
        raise ValueError("acr_values has at most 16 values")
    return values


def required_level(acr_values: Iterable[str]) -> int:
    """The weakest level the request accepts among the values this provider knows (0: none
    known, any session will do)."""
    known = [LEVELS[value] for value in acr_values if value in LEVELS]
    return min(known) if known else 0


def needs_step_up(acr_values: Iterable[str], amr: Iterable[str], mfa_policy: str) -> bool:
    """Whether a session established by ``amr`` must add a second factor: the request asks
    for multi-factor strength (and the tenant has second factors at all), or the tenant
    requires them (a session from before it did is stepped up at its next use)."""
    if mfa_policy == "off":
        return False
    floor = LEVELS[MULTI_FACTOR] if mfa_policy == "required" else 0
    return max(required_level(acr_values), floor) > level_of(amr)
