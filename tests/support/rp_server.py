"""A relying party's web server for browser tests, on 127.0.0.1: it records what arrives at
its callback (query, fragment via a script-free echo, or form_post), every form posted to it
(the OP's back-channel logout tokens too) and every page the browser loads from it
(front-channel logout frames, the post-logout landing page); and serves single-page apps
that run the code flow with PKCE and the implicit flow from the browser (calling the OP with
CORS), and an RP page that asks the OP's check-session iframe."""

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


IMPLICIT = """<!doctype html>
<html><head><meta charset="utf-8"><title>Implicit SPA</title></head>
<body><button id="go">Sign in</button><pre id="out"></pre>
<script>
const issuer = "%(issuer)s", clientId = "%(client_id)s", redirect = location.origin + "/implicit.html";
const b64url = (bytes) =>
  btoa(String.fromCharCode(...bytes)).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
const random = () => b64url(crypto.getRandomValues(new Uint8Array(16)));
function start() {
  const nonce = random(), state = random();
  sessionStorage.setItem("nonce", nonce);
  sessionStorage.setItem("state", state);
  location.href = issuer + "/authorize?" + new URLSearchParams({
    client_id: clientId, redirect_uri: redirect, response_type: "id_token token", scope: "openid profile",
    nonce, state,
  });
}
async function finish(response) {
  // OIDC Core 3.2.2.8-3.2.2.11: the state and nonce this app sent, and at_hash binding the token.
  const payload = response.get("id_token").split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  const claims = JSON.parse(atob(payload));
  const token = response.get("access_token");
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  const info = await fetch(issuer + "/userinfo", {headers: {Authorization: "Bearer " + token}});
  const result = {
    query: location.search, token_type: response.get("token_type"), iss: response.get("iss"),
    state_matches: response.get("state") === sessionStorage.getItem("state"),
    nonce_matches: claims.nonce === sessionStorage.getItem("nonce"),
    at_hash_matches: claims.at_hash === b64url(new Uint8Array(digest).slice(0, 16)),
    id_token: response.get("id_token"), userinfo: await info.json(),
  };
  history.replaceState(null, "", location.pathname);  // tokens do not stay in the address bar
  document.getElementById("out").textContent = JSON.stringify(result);
}
if (location.hash.length > 1) finish(new URLSearchParams(location.hash.slice(1)));
else document.getElementById("go").onclick = start;
</script></body></html>"""

# Session Management 1.0 section 3.2: the RP's own frame next to the OP's check-session iframe;
# check(message) posts "client_id session_state" to the OP frame and resolves with its answer.
SESSION_CHECK = """<!doctype html>
<html><head><meta charset="utf-8"><title>RP session check</title></head>
<body><iframe id="op" src="%(issuer)s/check-session" title="OP session"></iframe>
<script>
const frame = document.getElementById("op"), opOrigin = new URL(frame.src).origin;
const loaded = new Promise((resolve) => frame.addEventListener("load", resolve));
async function check(message) {
  await loaded;
  return new Promise((resolve) => {
    window.addEventListener("message", function answer(event) {
      if (event.origin !== opOrigin || event.source !== frame.contentWindow) return;
      window.removeEventListener("message", answer);
      resolve(event.data);
    });
    frame.contentWindow.postMessage(message, opOrigin);
  });
}
</script></body></html>"""

LOGO = """<svg xmlns="http://www.w3.org/2000/svg" width="160" height="40" viewBox="0 0 160 40">
<rect width="40" height="40" rx="8" fill="#0b7a53"/><text x="50" y="28" font-family="sans-serif"
font-size="22" font-weight="700" fill="#0b7a53">Acme</text></svg>"""

LANDING = {"/callback", "/logged-out"}
PAGES = {"/spa.html": SPA, "/implicit.html": IMPLICIT, "/session.html": SESSION_CHECK}


class RelyingParty:
    def __init__(self) -> None:
        self.received: list[dict[str, str]] = []
        self.spa_settings: dict[str, str] = {}
        # Every GET but the favicon: path, query and how the browser fetched it (Sec-Fetch-Dest:
        # "document" for a navigation, "iframe" for a frame).
        self.visits: list[tuple[str, dict[str, str], str | None]] = []
        rp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if parts.path != "/favicon.ico":
                    rp.visits.append((parts.path, query, self.headers.get("Sec-Fetch-Dest")))
                if parts.path in PAGES:
                    return self._send(PAGES[parts.path] % rp.spa_settings)
                if parts.path == "/logo.svg":
                    return self._send(LOGO, "image/svg+xml")
                if parts.path == "/frontchannel":
                    return self._send("<!doctype html><title>RP logout</title><p>signed out of the RP</p>")
                if parts.path not in LANDING:
                    return self._send("")  # favicon and such
                if parts.path == "/callback":
                    rp.received.append(query)
                self._send("<!doctype html><title>callback</title><p id='done'>received</p>")

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                rp.received.append({k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()})
                self._send("<!doctype html><title>callback</title><p id='done'>received by post</p>")

            def _send(self, html: str, content_type: str = "text/html") -> None:
                body = html.encode()
                self.send_response(200)
                self.send_header("Content-Type", f"{content_type}; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        # A short poll interval: shutdown() waits for it, once per test.
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
