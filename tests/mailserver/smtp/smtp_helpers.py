"""Helpers for the SMTP suites: client TLS contexts, messages, raw sockets, mailbox reads."""

from __future__ import annotations

import smtplib
import socket
import ssl
from email.utils import make_msgid

from config import Settings
from crypto import client_context
from mailserver.services import MailServices
from mailserver.store import copy_aad
from tests.conftest import PASSWORD


def tls_client(settings: Settings, cert: str | None = None,
               key: str | None = None) -> ssl.SSLContext:
    """Trusts only the data folder's CA; the server certificate names localhost."""
    return client_context(settings.trust.ca, cert, key, check_hostname=False)


def peer_tls(settings: Settings) -> ssl.SSLContext:
    """A peer operator's MX client: our own server certificate, whose DN the trust list
    holds for our domains (the MX asks for a listed certificate, issue 5)."""
    certs = settings.base_dir / "certs"
    return tls_client(settings, str(certs / "server.pem"), str(certs / "server.key"))


def message(frm: str, to: str | list[str], subject: str = "Bonjour", body: str = "Texte.",
            *, msgid: str | None = None, headers: dict[str, str] | None = None) -> bytes:
    tos = [to] if isinstance(to, str) else to
    lines = [f"From: {frm}", f"To: {', '.join(tos)}", f"Subject: {subject}",
             f"Message-ID: {msgid or make_msgid(domain='test')}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n" + body + "\r\n").encode()


def submit(port: int, ctx: ssl.SSLContext, user: str | None, frm: str, rcpts: list[str],
           msg: bytes, *, implicit: bool = True, password: str = PASSWORD
           ) -> dict[str, tuple[int, bytes]]:
    """Send with smtplib (blocking: call through asyncio.to_thread)."""
    if implicit:
        client: smtplib.SMTP = smtplib.SMTP_SSL("127.0.0.1", port, context=ctx, timeout=10)
    else:
        client = smtplib.SMTP("127.0.0.1", port, timeout=10)
        client.starttls(context=ctx)
    with client:
        client.ehlo("client.test")
        if user is not None:
            client.login(user, password)
        return client.sendmail(frm, rcpts, msg)


class RawClient:
    """A line-level SMTP client on a plain socket, for what libraries refuse to send."""

    def __init__(self, port: int, ctx: ssl.SSLContext | None = None) -> None:
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock: socket.socket = ctx.wrap_socket(sock) if ctx else sock
        self.buf = b""
        self.greeting = self.reply()

    @classmethod
    def mx(cls, port: int, settings: Settings) -> RawClient:
        """A session on the MX port as a listed peer: EHLO, STARTTLS, EHLO."""
        c = cls(port)
        c.cmd("EHLO peer.test")
        assert c.cmd("STARTTLS").startswith(b"220")
        c.starttls(peer_tls(settings))
        assert c.cmd("EHLO peer.test").startswith(b"250")
        return c

    def starttls(self, ctx: ssl.SSLContext) -> None:
        self.sock = ctx.wrap_socket(self.sock)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def line(self) -> bytes:
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"closed; pending {self.buf!r}")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def reply(self) -> bytes:
        """A whole (possibly multi-line) reply, lines joined by \\n."""
        lines = [self.line()]
        while lines[-1][3:4] == b"-":
            lines.append(self.line())
        return b"\n".join(lines)

    def cmd(self, text: str | bytes) -> bytes:
        self.send((text.encode() if isinstance(text, str) else text) + b"\r\n")
        return self.reply()

    def pending(self, wait: float = 0.3) -> bytes:
        """Whatever else the server sends within `wait` seconds."""
        self.sock.settimeout(wait)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                self.buf += chunk
        except (TimeoutError, ssl.SSLError):
            pass
        finally:
            self.sock.settimeout(10)
        out, self.buf = self.buf, b""
        return out

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


async def mailbox(services: MailServices, address: str, folder: str = "INBOX",
                  password: str = PASSWORD) -> list[bytes]:
    """Every message of one folder, decrypted with the account's password."""
    acc = await services.store.get_account(address)
    assert acc is not None
    info = await services.store.get_folder(acc.id, folder)
    assert info is not None
    key = await services.accounts.unlock_with_password(acc, password)
    out = []
    for meta in await services.store.list_messages(info.id):
        blob = await services.store.get_sealed(acc.id, meta.id)
        out.append(key.open(blob, copy_aad(acc.id, meta.id)))
    return out


async def count(services: MailServices, address: str, folder: str = "INBOX") -> int:
    acc = await services.store.get_account(address)
    assert acc is not None
    info = await services.store.get_folder(acc.id, folder)
    assert info is not None
    return len(await services.store.list_messages(info.id))


def said(code: int, text: bytes | str) -> str:
    """A reply as a client library split it (code, text), joined back into the line the
    server sent, to compare with the named replies of `mailserver/smtp/codes.py`."""
    return f"{code} {text.decode() if isinstance(text, bytes) else text}"
