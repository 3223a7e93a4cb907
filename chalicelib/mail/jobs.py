"""Mail jobs: what a page puts on the queue, and what the consumer does with it.

A job names the tenant, its issuer (links point there: the consumer has no request to take
it from) and what was asked: a reset for the account a person typed, a verification of a
signed-in user's address, a sign-up. Looking the account up happens here, off the user's
path, so the page that queued the job did the same work whatever was typed. No credential is
in a job (a sign-up carries the password's argon2id hash, never the password).

The jobs share the back-channel logout queue and its consumer (``chalicelib/web/queues.py``,
``infra/consumer.py``): a job body is JSON with a ``mail`` member, which no logout notice has.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from chalicelib import events, observability
from chalicelib.i18n import LANGUAGES
from chalicelib.mail import messages, ses
from chalicelib.opaque import new_token
from chalicelib.outbound import queue
from chalicelib.settings import settings
from chalicelib.store import mailtokens, users
from chalicelib.store.mailtokens import MailToken
from chalicelib.tenancy.resolve import TenantConfig, resolve_tenant

log = logging.getLogger("oidc")
KINDS = ("reset", "verify", "signup")
# A message to send: its template, its recipient, what the template shows.
Mail = tuple[str, str, dict[str, Any]]
# Paths (under the issuer) of the pages the links open.
LINKS = {"reset": "/password/reset", "verify": "/email/verify", "signup": "/signup/confirm"}


@dataclass(frozen=True)
class Job:
    mail: str  # one of KINDS
    tenant: str
    issuer: str
    to: str  # reset: the username typed; verify: the user's sub; signup: the address typed
    claims: dict[str, str] = field(default_factory=dict)  # signup: what the form asked for
    password_hash: str | None = None  # signup
    # The language of the page that asked (chalicelib.i18n.negotiate); None: the tenant's default.
    language: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, body: str) -> Job:
        """The job in a queue message; ValueError if it is none. A job queued before jobs
        had a language has none (the tenant's default then); one naming a language the
        provider has no catalog for, or a value of the wrong type, is no job of ours."""
        values: Any = json.loads(body)
        fields = set(cls.__dataclass_fields__)
        if not isinstance(values, dict) or not fields - {"language"} <= set(values) <= fields:
            raise ValueError("not a mail job")
        job = cls(**values)
        if not job.well_formed():
            raise ValueError("not a mail job")
        return job

    def well_formed(self) -> bool:
        texts = (self.mail, self.tenant, self.issuer, self.to)
        return (
            all(isinstance(text, str) for text in texts)
            and self.mail in KINDS
            and isinstance(self.claims, dict)
            and all(isinstance(value, str) for value in self.claims.values())
            and isinstance(self.password_hash, str | None)
            and (self.language is None or self.language in LANGUAGES)
        )


def is_job(body: str) -> bool:
    """Whether a queue message is a mail job (and not a back-channel logout notice)."""
    try:
        values = json.loads(body)
    except ValueError:
        return False
    return isinstance(values, dict) and "mail" in values


def enqueue(job: Job) -> bool:
    """Queue ``job`` (one SendMessageBatch); False if it could not be (logged by the queue)."""
    return not queue.enqueue(settings.backchannel_queue, [job.to_json()])


def deliver(body: str, now: int) -> None:
    """Do what the job asks. A job that cannot be done (a tenant gone or disabled, no such
    account, no address to write to, SES refusing for good) ends with an event and no retry;
    an AWS failure that may pass raises, and the queue delivers the job again."""
    try:
        job = Job.from_json(body)
    except (ValueError, TypeError):
        log.warning("dropped a queue message that is not a mail job")
        return None
    observability.bind(tenant=job.tenant[:64])
    tenant = resolve_tenant(job.tenant)
    if tenant is None or tenant.disabled:
        return _outcome(job, "dropped", reason="tenant")
    sender = tenant.settings.mail_sender or settings.mail_sender
    if sender is None:
        return _outcome(job, "dropped", reason="no sender")
    found = {"reset": _reset, "verify": _verify, "signup": _signup}[job.mail](job, tenant, now)
    if not found:
        return _outcome(job, "dropped", reason="no account")
    return _send(job, tenant, sender, found)


def _send(job: Job, tenant: TenantConfig, sender: str, found: list[Mail]) -> None:
    """Render each message in the job's language (else the tenant's) and hand it to SES."""
    name = tenant.settings.branding.display_name or tenant.name
    language = job.language or tenant.settings.default_language
    for template, to, context in found:
        subject, text = messages.render_for(tenant, template, language, tenant=name, **context)
        try:
            ses.send(ses.Message(sender, to, subject, text))
        except ses.Undeliverable as refusal:
            _outcome(job, "refused", reason=str(refusal))
        else:
            _outcome(job, "sent", template=template.removesuffix(".txt"))
    return None


def _reset(job: Job, tenant: TenantConfig, now: int) -> list[Mail]:
    """A reset link for each account the person named: the account of that username and,
    for an address, every account (at most ``emails.MOST``) that has it as its email; each
    to the address on its profile, naming its username. Several accounts may share an
    address (a family's, a person's two roles): each gets its link, since the mailbox's
    owner could ask for each by its username anyway, and mailing none would leave them
    no way back."""
    accounts: dict[str, users.User] = {}
    login = users.get_login(tenant.id, job.to)
    user = users.get_user(tenant.id, login.sub) if login is not None and not login.disabled else None
    if user is not None:
        accounts[user.sub] = user
    if "@" in job.to:
        accounts.update({found.sub: found for found in users.find_by_email(tenant.id, job.to) if found.active})
    mailable = [user for user in accounts.values() if isinstance(user.claims.get("email"), str)]
    return [_reset_link(job, tenant, user, now) for user in mailable]


def _reset_link(job: Job, tenant: TenantConfig, user: users.User, now: int) -> Mail:
    """The token remembers the user's epoch: a password set meanwhile (by this link or any
    other way) voids it."""
    expires = tenant.settings.reset_link_expire
    link = _link(job, MailToken(tenant.id, "reset", now + expires, user.sub, {"epoch": user.epoch}))
    return "reset.txt", str(user.claims["email"]), {"link": link, "username": user.username, "minutes": expires // 60}


def _verify(job: Job, tenant: TenantConfig, now: int) -> list[Mail]:
    """A link confirming the address the user has now (a later change voids it)."""
    user = users.get_user(tenant.id, job.to)
    email = user.claims.get("email") if user is not None and user.active else None
    if user is None or not isinstance(email, str) or user.claims.get("email_verified") is True:
        return []
    expires = tenant.settings.verify_link_expire
    link = _link(job, MailToken(tenant.id, "verify", now + expires, user.sub, {"email": email}))
    return [("verify.txt", email, {"link": link, "email": email})]


def _signup(job: Job, tenant: TenantConfig, now: int) -> list[Mail]:
    """A link that creates the account, or, when the address has an account already (as its
    username or its email), a note to that address (its owner) pointing to the password
    reset: the person who typed it learns nothing they could not learn from the inbox."""
    if users.get_login(tenant.id, job.to) is not None or users.find_by_email(tenant.id, job.to):
        return [("signup_exists.txt", job.to, {"email": job.to, "link": f"{job.issuer}/password/forgot"})]
    data = {"email": job.to, "claims": job.claims, "password_hash": job.password_hash}
    link = _link(job, MailToken(tenant.id, "signup", now + tenant.settings.verify_link_expire, None, data))
    return [("signup.txt", job.to, {"link": link, "email": job.to})]


def _link(job: Job, minted: MailToken) -> str:
    token = new_token()
    mailtokens.store_token(token, minted)
    return f"{job.issuer}{LINKS[minted.purpose]}?token={token}"


def _outcome(job: Job, outcome: str, **fields: Any) -> None:
    events.emit("mail_" + outcome, job.tenant, mail=job.mail, **fields)
