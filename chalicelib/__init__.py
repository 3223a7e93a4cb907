"""The provider's code.

botocore imports ``urllib3.contrib.pyopenssl`` whenever pyOpenSSL is installed, only to find
the standard library's ``SSLContext`` it falls back to anyway; pyOpenSSL is here because the
``webauthn`` library needs it (attestation certificate chains), and importing it pulls in
``cryptography``'s bindings: ~35 ms of every cold start for nothing. Marking the module
absent before botocore loads keeps botocore on ``urllib3.util.ssl_.SSLContext``, the same
class; no code of ours or of the libraries we ship uses urllib3's pyOpenSSL injection.
"""

import sys

sys.modules.setdefault("urllib3.contrib.pyopenssl", None)  # type: ignore[arg-type]
