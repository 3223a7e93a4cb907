"""The outbound guard: which URLs and addresses it refuses (host names resolved through a
stubbed resolver, and every refusal raised before any socket is opened), and what it does
with the one request it lets through (pinned address, TLS checked against the host name, no
redirects, capped responses), against local servers on 127.0.0.1 in dev mode.

Network rule: nothing here connects anywhere but 127.0.0.1."""

from __future__ import annotations

import datetime
import http.server
import socket
import ssl
import threading
import time
from ipaddress import ip_address

import pytest

from chalicelib import outbound
from chalicelib.outbound import Policy, Refused, Unreachable, check_registrable

PUBLIC = "93.184.215.14"  # a global address: the stub answers with it, nothing connects to it


@pytest.fixture
def aws():
    """The guard touches no AWS: no emulated account for these tests (conftest's is autouse)."""
    yield None


def resolver(*answers: str, calls: list | None = None):
    """A stand-in for socket.getaddrinfo that answers every name with ``answers``."""

    def resolve(host: str, port: int, family: int = 0, type: int = 0, *rest: int) -> list:
        if calls is not None:
            calls.append(host)
        return [
            (socket.AF_INET6 if ":" in answer else socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer, port))
            for answer in answers
        ]

    return resolve


@pytest.fixture
def no_sockets(monkeypatch):
    """Any attempt to open a connection fails the test loudly: refusals must come first."""

    def explode(*args, **kwargs):
        raise AssertionError("the guard opened a connection it should have refused")

    monkeypatch.setattr(socket, "create_connection", explode)
    monkeypatch.setattr(socket, "socket", explode)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.53.0.9", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.7", "private"),
        ("172.16.4.4", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("fd12:3456::1", "private"),
        ("100.64.0.1", "private"),  # CGNAT
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("100.100.100.200", "metadata"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("0.1.2.3", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("ff02::1", "multicast"),
        ("255.255.255.255", "reserved"),
        ("240.0.0.1", "reserved"),
        ("198.18.0.1", "reserved"),  # benchmarking
        ("192.0.2.1", "reserved"),  # documentation
        ("203.0.113.9", "reserved"),
        ("192.0.0.192", "reserved"),  # IETF protocol assignments (Oracle's metadata)
        ("2001:db8::1", "reserved"),
        ("3fff::1", "reserved"),
        ("2001::1", "reserved"),  # Teredo
        ("fec0::1", "reserved"),  # site-local
        ("::127.0.0.1", "reserved"),  # IPv4-compatible (deprecated)
        ("64:ff9b:1::a00:1", "reserved"),  # local-use NAT64
        # IPv6 forms of IPv4 addresses are judged by the IPv4 address inside.
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "metadata"),
        ("::ffff:10.0.0.1", "private"),
        ("2002:7f00:1::", "loopback"),  # 6to4
        ("2002:a9fe:a9fe::1", "metadata"),
        ("64:ff9b::7f00:1", "loopback"),  # NAT64
        ("64:ff9b::a00:1", "private"),
    ],
)
def test_names_resolving_to_non_global_addresses_are_refused(no_sockets, address, reason):
    policy = Policy(resolver=resolver(address))
    with pytest.raises(Refused) as refused:
        outbound.post_form("https://rp.example.com/logout", {"logout_token": "t"}, policy)
    assert refused.value.reason == f"the URL's host is a {reason} address"


@pytest.mark.parametrize("address", [PUBLIC, "8.8.8.8", "2606:4700::1111", "::ffff:93.184.215.14", "64:ff9b::808:808"])
def test_global_addresses_pass(address):
    target, pinned = outbound.guard.pin("https://rp.example.com/logout", Policy(resolver=resolver(address)))
    assert (target.host, target.port, target.path) == ("rp.example.com", 443, "/logout")
    assert pinned == ip_address(address)


def test_one_private_address_among_public_ones_refuses_the_name(no_sockets):
    """Which address a client uses is the resolver's choice (or the next resolution's)."""
    for answers in ((PUBLIC, "10.0.0.1"), ("10.0.0.1", PUBLIC), (PUBLIC, "2606:4700::1", "::1")):
        with pytest.raises(Refused):
            outbound.post_form("https://rp.example.com/", {}, Policy(resolver=resolver(*answers)))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://rp.example.com/logout", "the URL must be https"),
        ("ftp://rp.example.com/logout", "the URL must be https"),
        ("https://evil@rp.example.com/", "the URL must not carry userinfo"),
        ("https://user:pass@rp.example.com/", "the URL must not carry userinfo"),
        ("https://rp.example.com@127.0.0.1/", "the URL must not carry userinfo"),
        ("https://rp.example.com/#frag", "the URL must not have a fragment"),
        ("https://rp.example.com/a b", "the URL must be ASCII, without spaces or control characters"),
        ("https://rp.example.com/\r\nX-Injected: 1", "the URL must be ASCII, without spaces or control characters"),
        ("https://rp.exämple.com/", "the URL must be ASCII, without spaces or control characters"),
        ("https://rp_example.com/", "the URL's host is not a DNS name or an IP address"),
        ("https://rp.example.com;x/", "the URL's host is not a DNS name or an IP address"),
        ("https://-rp.example.com/", "the URL's host is not a DNS name or an IP address"),
        ("https://rp..example.com/", "the URL's host is not a DNS name or an IP address"),
        ("https:///path", "the URL's host is not a DNS name or an IP address"),
        ("https://[::1%25lo]/", "the URL's host is not a DNS name or an IP address"),
        ("https://[v1.fe]/", "the URL's host is not a DNS name or an IP address"),
        ("https://[1.2.3.4]/", "the URL is malformed"),
        ("https://[::1::2]/", "the URL is malformed"),
        ("https://[::1]x/", "the URL's host is not a DNS name or an IP address"),
        ("https://rp.example.com:0/", "the URL's port is out of range"),
        ("https://rp.example.com:65536/", "the URL's port is out of range"),
        ("https://rp.example.com:+443/", "the URL's host is not a DNS name or an IP address"),
        # IPv4 in spellings other than dotted-decimal: inet_aton reads each as 127.0.0.1.
        ("https://2130706433/", "the URL's host looks like an IPv4 address but is not dotted-decimal"),
        ("https://0x7f000001/", "the URL's host looks like an IPv4 address but is not dotted-decimal"),
        ("https://0177.0.0.1/", "the URL's host looks like an IPv4 address but is not dotted-decimal"),
        ("https://0x7f.0.0.1/", "the URL's host looks like an IPv4 address but is not dotted-decimal"),
        ("https://127.1/", "the URL's host looks like an IPv4 address but is not dotted-decimal"),
        ("https://127.0.0.01/", "the URL's host looks like an IPv4 address but is not dotted-decimal"),
        ("https://127.0.0.1.5/", "the URL's host looks like an IPv4 address but is not dotted-decimal"),
        # Literal addresses are judged without any resolution.
        ("https://127.0.0.1/", "the URL's host is a loopback address"),
        ("https://127.0.0.1./", "the URL's host is a loopback address"),
        ("https://[::1]:8443/", "the URL's host is a loopback address"),
        ("https://[::ffff:7f00:1]/", "the URL's host is a loopback address"),
        ("https://[::ffff:127.0.0.1]/", "the URL's host is a loopback address"),
        ("https://10.1.2.3/", "the URL's host is a private address"),
        ("https://169.254.169.254/latest/meta-data/", "the URL's host is a metadata address"),
        ("https://[fd00:ec2::254]/", "the URL's host is a metadata address"),
        ("https://0.0.0.0/", "the URL's host is a unspecified address"),
    ],
)
def test_urls_refused_before_any_resolution_or_connection(no_sockets, url, message):
    calls: list[str] = []
    with pytest.raises(Refused) as refused:
        outbound.post_form(url, {"logout_token": "t"}, Policy(resolver=resolver(PUBLIC, calls=calls)))
    assert str(refused.value) == message
    assert calls == []  # refused as written: the name was never looked up
    with pytest.raises(Refused):
        check_registrable(url, Policy())  # registration refuses the same URLs


def test_host_names_are_not_resolved_at_registration(no_sockets):
    """What a name points to can change: it is checked when a request is made."""
    calls: list[str] = []
    target = check_registrable("https://RP.Example.com./bc?x=1", Policy(resolver=resolver("127.0.0.1", calls=calls)))
    assert (target.host, target.path, target.host_header) == ("rp.example.com", "/bc?x=1", "rp.example.com")
    assert calls == []


def test_a_name_that_does_not_resolve_is_worth_retrying(no_sockets):
    def failing(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(Unreachable):
        outbound.post_form("https://rp.example.com/", {}, Policy(resolver=failing))


@pytest.mark.parametrize(
    ("address", "dev_mode", "allowed"),
    [
        ("10.0.0.7", False, True),  # a private network: the listed host is exempt
        ("fd12::7", False, True),
        ("100.64.3.3", False, True),
        ("127.0.0.1", False, False),  # never loopback outside local development
        ("::1", False, False),
        ("169.254.169.254", False, False),  # nor the metadata service
        ("fd00:ec2::254", False, False),
        ("100.100.100.200", False, False),
        ("169.254.10.10", False, False),
        ("0.0.0.0", False, False),
        ("224.0.0.251", False, False),
        ("127.0.0.1", True, True),  # local development, listed host
        ("::1", True, True),
    ],
)
def test_allowed_hosts_exempt_private_networks_and_never_loopback_or_metadata_outside_dev(
    no_sockets, address, dev_mode, allowed
):
    listed = Policy(allowed_hosts=frozenset({"rp.corp.example"}), dev_mode=dev_mode, resolver=resolver(address))
    if allowed:
        assert outbound.guard.pin("https://rp.corp.example/bc", listed)[1] == ip_address(address)
    else:
        with pytest.raises(Refused):
            outbound.guard.pin("https://rp.corp.example/bc", listed)
    with pytest.raises(Refused):  # another host resolving to the same address is not exempt
        outbound.guard.pin("https://other.corp.example/bc", listed)


def test_http_only_in_local_development_and_only_to_listed_hosts(no_sockets):
    url = "http://localhost:8080/bc"
    allowed = frozenset({"localhost"})
    loopback = resolver("127.0.0.1", "::1")
    with pytest.raises(Refused, match="https"):
        check_registrable(url, Policy(allowed_hosts=allowed, dev_mode=False))
    with pytest.raises(Refused, match="https"):
        check_registrable(url, Policy(dev_mode=True))
    assert check_registrable(url, Policy(allowed_hosts=allowed, dev_mode=True)).port == 8080
    assert outbound.guard.pin(url, Policy(allowed_hosts=allowed, dev_mode=True, resolver=loopback))[1] == ip_address(
        "127.0.0.1"
    )
    with pytest.raises(Refused):  # https to a loopback name in dev mode, not listed
        outbound.guard.pin("https://localhost/bc", Policy(dev_mode=True, resolver=loopback))


class Recorder(http.server.BaseHTTPRequestHandler):
    """Answers by path: /redirect with a 302 elsewhere, /big with 1 MiB, else 200 "ok"."""

    seen: list[tuple[str, str, dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Recorder.seen.append((self.command, self.path, dict(self.headers), body))
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:1/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        payload = b"x" * (1 << 20) if self.path == "/big" else b"ok"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def local_server():
    Recorder.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def dev_policy(host: str = "rp.test", **changes) -> Policy:
    """Local development, ``host`` listed, and resolved to 127.0.0.1 by the stub."""
    return Policy(allowed_hosts=frozenset({host}), dev_mode=True, resolver=resolver("127.0.0.1"), **changes)


def test_the_request_goes_to_the_checked_address_and_names_the_host(local_server):
    port = local_server.server_address[1]
    response = outbound.post_form(f"http://rp.test:{port}/bc?x=1", {"logout_token": "a.b.c"}, dev_policy())
    assert (response.status, response.body, response.content_type) == (200, b"ok", "text/plain")
    ((method, path, headers, body),) = Recorder.seen
    assert (method, path, body) == ("POST", "/bc?x=1", b"logout_token=a.b.c")
    assert headers["Host"] == f"rp.test:{port}"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_redirects_are_not_followed(local_server):
    port = local_server.server_address[1]
    response = outbound.post_form(f"http://rp.test:{port}/redirect", {"logout_token": "t"}, dev_policy())
    assert response.status == 302
    assert [path for _, path, _, _ in Recorder.seen] == ["/redirect"]


def test_responses_are_capped(local_server):
    port = local_server.server_address[1]
    response = outbound.post_form(f"http://rp.test:{port}/big", {}, dev_policy(max_body=4096))
    assert response.status == 200 and response.body == b"x" * 4096


def test_a_slow_peer_times_out():
    silent = socket.create_server(("127.0.0.1", 0))  # accepts, never answers
    try:
        url = f"http://rp.test:{silent.getsockname()[1]}/bc"
        with pytest.raises(Unreachable):
            outbound.post_form(url, {}, dev_policy(read_timeout=0.2))
    finally:
        silent.close()


class Dripping:
    """A peer on 127.0.0.1 that reads the request, then sends ``head`` and drips the rest of
    its answer one byte every ``interval`` seconds: each read gets a byte well within the read
    timeout, so only a deadline on the whole exchange stops it."""

    def __init__(self, head: bytes, drip: bytes, interval: float) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.held = 0.0  # how long the client stayed connected
        threading.Thread(target=self._serve, args=(head, drip, interval), daemon=True).start()

    def _serve(self, head: bytes, drip: bytes, interval: float) -> None:
        connection, _ = self.socket.accept()
        started = time.monotonic()
        try:
            connection.recv(65536)
            connection.sendall(head)
            for byte in drip:
                time.sleep(interval)
                connection.sendall(bytes([byte]))
        except OSError:  # the client hung up: what the test waits for
            pass
        self.held = time.monotonic() - started
        connection.close()
        self.socket.close()


def test_a_dripping_peer_is_cut_at_the_exchange_deadline():
    """The review's reproduction: a byte every 0.4 s, each read well within the 0.5 s read
    timeout, 20 of them wanted: 8 s with per-read timeouts alone; the policy's deadline cuts it."""
    peer = Dripping(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n", b"x" * 100, 0.4)
    policy = dev_policy(connect_timeout=1.0, read_timeout=0.5, max_body=20)
    assert 6 * policy.read_timeout < policy.exchange_timeout <= 5.0  # a few seconds
    started = time.monotonic()
    with pytest.raises(Unreachable, match="took too long"):
        outbound.post_form(f"http://rp.test:{peer.port}/bc", {"logout_token": "x"}, policy)
    assert policy.exchange_timeout <= time.monotonic() - started < policy.exchange_timeout + 0.5


@pytest.mark.parametrize(
    ("head", "drip"),
    [
        (b"", b"HTTP/1.1 200 OK\r\n" * 4),  # the status line
        (b"HTTP/1.1 200 OK\r\n", b"X-Padding: " + b"x" * 60),  # the headers
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", b"1\r\nx\r\n" * 20),  # a chunked body
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", b"x" * 60),  # a body until the peer closes
    ],
)
def test_every_part_of_the_answer_counts_against_the_deadline(head, drip):
    peer = Dripping(head, drip, 0.1)
    policy = dev_policy(read_timeout=0.5, exchange_timeout=1.0, max_body=4096)
    started = time.monotonic()
    with pytest.raises(Unreachable, match="took too long"):
        outbound.post_form(f"http://rp.test:{peer.port}/bc", {}, policy)
    assert time.monotonic() - started < 1.5


def test_a_tls_handshake_that_never_ends_is_cut_at_the_deadline():
    """A peer that accepts and never answers the ClientHello: the handshake's own limit (the
    connect timeout) is longer than what is left of the exchange."""
    silent = socket.create_server(("127.0.0.1", 0))
    try:
        policy = dev_policy(connect_timeout=5.0, read_timeout=5.0, exchange_timeout=0.5)
        started = time.monotonic()
        with pytest.raises(Unreachable):
            outbound.post_form(f"https://rp.test:{silent.getsockname()[1]}/bc", {}, policy)
        assert time.monotonic() - started < 1.0
    finally:
        silent.close()


def test_the_delivery_function_outlives_one_exchange_and_not_by_much():
    """Lambda stops a delivery at its timeout (and SQS gives the message back): just above one
    exchange, so a slow peer holds one of the shared delivery functions for a few seconds at
    most; set alike in both places it is deployed from, and SQS hides a message in flight for
    six times as long (AWS's advice for event sources)."""
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    resources = json.loads((root / "infra" / "resources.json").read_text())["Resources"]
    timeout = resources["DeliverBackchannelLogout"]["Properties"]["Timeout"]
    stages = json.loads((root / ".chalice" / "config.json").read_text())["stages"]
    assert {stage["lambda_functions"]["deliver_backchannel_logout"]["lambda_timeout"] for stage in stages.values()} == {
        timeout
    }
    exchange = Policy().exchange_timeout
    assert exchange + 1 <= timeout <= exchange + 5
    assert resources["BackchannelQueue"]["Properties"]["VisibilityTimeout"] >= 6 * timeout


def test_tls_is_verified_against_the_host_name_not_the_pinned_address(tmp_path):
    """The connection goes to 127.0.0.1, the certificate must name rp.test (SNI sent)."""
    authority, context = _certificate_authority(tmp_path, "rp.test")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    Recorder.seen = []
    trust = ssl.create_default_context(cafile=str(authority))
    try:
        port = server.server_address[1]
        url = f"https://rp.test:{port}/bc"
        response = outbound.post_form(url, {"logout_token": "t"}, dev_policy(ssl_context=trust))
        assert response.status == 200 and len(Recorder.seen) == 1
        with pytest.raises(Unreachable):  # same address, a name the certificate does not carry
            outbound.post_form(f"https://other.test:{port}/bc", {}, dev_policy("other.test", ssl_context=trust))
        with pytest.raises(Unreachable):  # the system's trust store does not know this authority
            outbound.post_form(f"https://rp.test:{port}/bc", {}, dev_policy())
        assert len(Recorder.seen) == 1
    finally:
        server.shutdown()
        server.server_close()


def _certificate_authority(tmp_path, host: str):
    """A throwaway CA (its PEM file) and a server context with a certificate it issued for ``host``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test authority")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(1).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    leaf = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    pem = serialization.Encoding.PEM
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(pem))
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(pem))
    (tmp_path / "leaf.key").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "leaf.pem", tmp_path / "leaf.key")
    return tmp_path / "ca.pem", context
