"""Real servers on loopback for the notice tests: SMTP (aiosmtpd, with STARTTLS/TLS and AUTH
when asked) and an HTTP server that plays scripted replies and checks every Standard Webhooks
signature with its own code. Shared by tests/suppliers and tests/recipients, whose conftests
import the fixtures from here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller as SmtpController
from aiosmtpd.smtp import SMTP as SmtpServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from tests.needs import unavailable

#: The Standard Webhooks spec's published test secret.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SMTP_USER = "dsr"
SMTP_PASSWORD = "s3cret-pw"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- TLS material (openssl CLI: `cryptography` is not installed in this venv) ----------------


@dataclass(frozen=True)
class Tls:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    openssl = shutil.which("openssl")
    if openssl is None:
        unavailable("openssl not available to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return Tls(cert, key)


# -- SMTP ------------------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    tls: bool
    authenticated: bool


@dataclass
class SmtpRecorder:
    """An aiosmtpd handler that keeps what it receives and can refuse recipients."""

    messages: list[Received] = field(default_factory=list)
    rcpt_reply: str | None = None

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SmtpServer, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SmtpServer, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.original_content or b""
        self.messages.append(
            Received(
                mail_from=str(envelope.mail_from),
                rcpt_tos=list(envelope.rcpt_tos),
                content=content,
                tls=server.transport is not None
                and server.transport.get_extra_info("ssl_object") is not None,
                authenticated=bool(session.authenticated),
            )
        )
        return "250 Message accepted"


def _authenticator(
    server: SmtpServer, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    ok = (
        isinstance(data, LoginPassword)
        and data.login == SMTP_USER.encode()
        and data.password == SMTP_PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


@dataclass
class SmtpServerInfo:
    host: str
    port: int
    recorder: SmtpRecorder

    @property
    def messages(self) -> list[Received]:
        return self.recorder.messages


def _run_smtp(**kwargs: Any) -> Iterator[SmtpServerInfo]:
    recorder = SmtpRecorder()
    port = free_port()
    ctl = SmtpController(recorder, hostname="127.0.0.1", port=port, **kwargs)
    ctl.start()
    try:
        yield SmtpServerInfo("127.0.0.1", port, recorder)
    finally:
        ctl.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServerInfo]:
    """Plain SMTP on loopback, no authentication."""
    yield from _run_smtp()


@pytest.fixture
def smtp_starttls_server(tls: Tls) -> Iterator[SmtpServerInfo]:
    """SMTP requiring STARTTLS, then AUTH (user SMTP_USER, password SMTP_PASSWORD)."""
    yield from _run_smtp(
        tls_context=tls.server_context(),
        require_starttls=True,
        authenticator=_authenticator,
        auth_required=True,
        auth_require_tls=True,
    )


@pytest.fixture
def smtp_tls_server(tls: Tls) -> Iterator[SmtpServerInfo]:
    """SMTP over implicit TLS (as on port 465)."""
    yield from _run_smtp(ssl_context=tls.server_context())


# -- HTTP ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any = None  # JSON-encoded when not bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


def independent_check(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The test server's own Standard Webhooks check (not the code under test)."""
    try:
        msg_id = headers["webhook-id"]
        timestamp = headers["webhook-timestamp"]
        signatures = headers["webhook-signature"].split(" ")
    except KeyError:
        return False
    if abs(time.time() - int(timestamp)) > 300:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, msg_id.encode() + b"." + timestamp.encode() + b"." + body, hashlib.sha256)
    expected = base64.b64encode(mac.digest()).decode()
    return any(s == "v1," + expected for s in signatures)


class HookServer:
    """A ThreadingHTTPServer on 127.0.0.1 that plays scripted replies per path."""

    def __init__(self) -> None:
        self.scripts: dict[str, list[Reply]] = {}
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        handler = self._handler()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str) -> str:
        port = self.httpd.server_address[1]
        return f"http://127.0.0.1:{port}{path}"

    def script(self, path: str, *replies: Reply) -> str:
        """Plays ``replies`` in order on ``path`` (the last one repeats); returns the URL."""
        self.scripts[path] = list(replies)
        return self.url(path)

    def requests(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    def _next(self, path: str) -> Reply:
        with self.lock:
            replies = self.scripts.get(path) or [Reply(404)]
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # keep test output clean (and identities out of it)

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                seen = Seen(
                    self.path, headers, body, independent_check(SECRET, headers, body), time.time()
                )
                server.seen.append(seen)
                reply = server._next(self.path)
                if reply.delay:
                    time.sleep(reply.delay)
                raw = (
                    reply.body
                    if isinstance(reply.body, bytes)
                    else b""
                    if reply.body is None
                    else json.dumps(reply.body).encode()
                )
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

        return Handler

    def __enter__(self) -> HookServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def hook_server() -> Iterator[HookServer]:
    with HookServer() as server:
        yield server
