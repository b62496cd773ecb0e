"""Not-authenticated state: STARTTLS, AUTHENTICATE, LOGIN (RFC 3501 §6.2, RFC 4959)."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

from mailserver.auth import Login, Refused

from ..capabilities import capabilities
from ..proto import ParseError, parse_sasl_response
from ..proto import commands as c
from ..proto import responses as r
from ..proto.codes import AUTHENTICATIONFAILED, PRIVACYREQUIRED, UNAVAILABLE, capability

if TYPE_CHECKING:
    from ..session import Session


def _needs_tls(s: Session) -> bool:
    return s.starttls_port and not s.io.tls


async def starttls(s: Session, cmd: c.StartTLS) -> r.Tagged | None:
    if not s.starttls_port or s.io.tls:
        return r.Tagged(cmd.tag, "BAD", "TLS already active")
    s.send(r.Tagged(cmd.tag, "OK", "Begin TLS negotiation now"))
    await s.io.start_tls()
    return None


def _logged_in(s: Session, cmd: c.Command, login: Login | Refused | None) -> r.Tagged:
    if not isinstance(login, Login):
        if isinstance(login, Refused) and login.temporary:
            # RFC 5530 §3: UNAVAILABLE, a temporary failure (throttle, busy server).
            return r.Tagged(cmd.tag, "NO", "Temporarily refused, try again later",
                            UNAVAILABLE)
        return r.Tagged(cmd.tag, "NO", "Authentication failed", AUTHENTICATIONFAILED)
    backend = s.services.open_mailbox(login)
    s.logged_in(backend)
    return r.Tagged(cmd.tag, "OK", "Logged in", capability(capabilities(s)))


async def login(s: Session, cmd: c.Login) -> r.Tagged:
    """LOGIN (§6.2.3): refused before TLS on the STARTTLS port (LOGINDISABLED)."""
    if _needs_tls(s):
        return r.Tagged(cmd.tag, "NO", "Use STARTTLS first", PRIVACYREQUIRED)
    found = await s.services.auth.login_with_password(cmd.username, cmd.password,
                                                      s.io.peer, "imap")
    return _logged_in(s, cmd, found)


async def _sasl_response(s: Session, cmd: c.Authenticate) -> bytes | None | r.Tagged:
    """The client's (first) SASL response: SASL-IR (RFC 4959) or after a ``+``."""
    if cmd.initial_response is not None:
        try:
            return base64.b64decode(cmd.initial_response, validate=True)
        except binascii.Error:
            return r.Tagged(cmd.tag, "BAD", "invalid base64")
    s.send(r.Continuation(data=b""))
    line = await s.io.read_line()
    if line is None:
        return None
    try:
        data = parse_sasl_response(line)
    except ParseError:
        return r.Tagged(cmd.tag, "BAD", "invalid base64")
    if data is None:
        return r.Tagged(cmd.tag, "BAD", "Authentication cancelled")
    return data


async def authenticate(s: Session, cmd: c.Authenticate) -> r.Tagged | None:
    """AUTHENTICATE PLAIN (RFC 4616) and EXTERNAL (client certificate, RFC 4422 App. A)."""
    if cmd.mechanism not in ("PLAIN", "EXTERNAL"):
        return r.Tagged(cmd.tag, "NO", "Unsupported mechanism")
    if _needs_tls(s):
        return r.Tagged(cmd.tag, "NO", "Use STARTTLS first", PRIVACYREQUIRED)
    data = await _sasl_response(s, cmd)
    if data is None:
        return None
    if isinstance(data, r.Tagged):
        return data
    if cmd.mechanism == "EXTERNAL":
        cert = s.io.peer_certificate()
        if cert is None:
            return r.Tagged(cmd.tag, "NO", "No client certificate", AUTHENTICATIONFAILED)
        authz = data.decode("utf-8", "replace") or None
        return _logged_in(s, cmd, await s.services.auth.certificate_login(
            cert, s.io.peer, "imap", address=authz))
    parts = data.split(b"\0")
    if len(parts) != 3:
        return r.Tagged(cmd.tag, "BAD", "Malformed PLAIN response")
    authz, user, password = (p.decode("utf-8", "replace") for p in parts)
    if authz and authz.lower() != user.lower():
        return r.Tagged(cmd.tag, "NO", "Authentication failed", AUTHENTICATIONFAILED)
    found = await s.services.auth.login_with_password(user, password, s.io.peer, "imap")
    return _logged_in(s, cmd, found)
