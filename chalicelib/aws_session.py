"""The container's one botocore session, from which every AWS client of the app is built:
PynamoDB's DynamoDB client and the KMS and Secrets Manager clients.

One session rather than one per client, because a session's set-up (registering ~120 event
handlers, resolving the credential chain) is Lambda cold-start time, paid once this way.

The session reads the service models from a pruned copy of botocore's data that ``make
package`` generates from the installed botocore (``infra/package.py``) and ships in the
Lambda package: the models of the services the app calls, and of those botocore's credential
providers call, and nothing else. Left to its own data, botocore lists ~450 service
directories and parses the 1.2 MB ``endpoints.json`` while it builds the first client, which
is over half of that client's cost. Without the copy (a fresh checkout), or with one made
from another botocore version, or when ``AWS_DATA_PATH`` asks for other models, botocore's
own data is used, as it would be anyway.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import botocore
import botocore.loaders
import botocore.session

from chalicelib.observability import throttles

ROOT = Path(__file__).resolve().parent.parent
# Chalice copies vendor/ to the root of the Lambda package; in a checkout it stays in vendor/.
PRUNED_DATA = (ROOT / "botocore-data", ROOT / "vendor" / "botocore-data")
VERSION_FILE = "botocore-version"

log = logging.getLogger("oidc")
# Reentrant: building the first client resolves credentials, and an assume-role or SSO
# provider builds its own STS or SSO client from this same session while doing so.
_lock = threading.RLock()
_session: list[botocore.session.Session] = []


class _Session(botocore.session.Session):
    """A botocore session is not thread-safe while it builds clients, and two request
    threads (``chalice local``, or PynamoDB's and ours) may build them at once."""

    def create_client(self, *args: Any, **kwargs: Any) -> Any:
        with _lock:
            return super().create_client(*args, **kwargs)


class PrunedLoader(botocore.loaders.Loader):
    """botocore's loader, with the pruned copy standing in for botocore's data directory.

    The copy takes the *built-in* path's place on purpose: botocore treats an
    ``endpoints.json`` found elsewhere as a customisation and then overrides the endpoint
    rules with its legacy endpoint (which on AWS would, for one, turn off DynamoDB's
    account-based endpoints). The copy holds botocore's own files, so built-in is what it is.
    """

    def __init__(self, data: Path) -> None:
        self.BUILTIN_DATA_PATH = str(data)
        super().__init__()


def session() -> botocore.session.Session:
    if not _session:
        with _lock:
            if not _session:
                _session.append(_new_session())
    return _session[0]


def _new_session() -> botocore.session.Session:
    new = _Session()
    throttles.register(new)  # every throttle counted, retried or not
    data = pruned_data()
    if data is not None and new.get_config_variable("data_path") is None:
        new.register_component("data_loader", PrunedLoader(data))
    return new


def pruned_data() -> Path | None:
    """The pruned copy of botocore's data, if there is one made from this botocore."""
    for path in PRUNED_DATA:
        marker = path / VERSION_FILE
        if marker.is_file():
            made_from = marker.read_text().strip()
            if made_from == botocore.__version__:
                return path
            log.warning("%s was made from botocore %s, not %s: not used", path, made_from, botocore.__version__)
    return None
