"""A relying party's web server for browser tests, on 127.0.0.1: it records what arrives at
its callback (query, fragment via a script-free echo, or form_post) and every form posted to
it (the OP's back-channel logout tokens too), and serves a single-page app that runs the
code flow with PKCE from the browser, calling the OP with CORS."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SPA = """<!doctype html>
<html><head><meta charset="utf-8"><title>SPA</title></head>
<body><button id="go">Sign in</button><pre id="out"></pre>
<script>
const issuer = "%(issuer)s", clientId = "%(client_id)s", redirect = location.origin + "/spa.html";
const b64url = (bytes) =>
  btoa(String.fromCharCode(...bytes)).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
async function start() {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  sessionStorage.setItem("verifier", verifier);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  location.href = issuer + "/authorize?" + new URLSearchParams({
    client_id: clientId, redirect_uri: redirect, response_type: "code", scope: "openid profile",
    code_challenge: b64url(new Uint8Array(digest)), code_challenge_method: "S256", state: "spa-state",
  });
}
async function finish(code) {
  const token = await fetch(issuer + "/token", {method: "POST", body: new URLSearchParams({
    grant_type: "authorization_code", code, redirect_uri: redirect, client_id: clientId,
    code_verifier: sessionStorage.getItem("verifier"),
  })}).then((r) => r.json());
  const info = await fetch(issuer + "/userinfo", {headers: {Authorization: "Bearer " + token.access_token}});
  const result = {id_token: !!token.id_token, userinfo: await info.json()};
  document.getElementById("out").textContent = JSON.stringify(result);
}
const params = new URLSearchParams(location.search);
if (params.get("code")) finish(params.get("code")); else document.getElementById("go").onclick = start;
</script></body></html>"""


class RelyingParty:
    def __init__(self) -> None:
        self.received: list[dict[str, str]] = []
        self.spa_settings: dict[str, str] = {}
        rp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path == "/spa.html":
                    return self._send(SPA % rp.spa_settings)
                if parts.path != "/callback":
                    return self._send("")  # favicon and such
                rp.received.append({k: v[0] for k, v in parse_qs(parts.query).items()})
                self._send("<!doctype html><title>callback</title><p id='done'>received</p>")

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                rp.received.append({k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()})
                self._send("<!doctype html><title>callback</title><p id='done'>received by post</p>")

            def _send(self, html: str) -> None:
                body = html.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
