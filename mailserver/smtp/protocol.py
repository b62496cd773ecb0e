"""One SMTP connection: aiosmtpd's `SMTP` with our grammar checks, TLS, AUTH and limits.

aiosmtpd reads commands and runs STARTTLS; this subclass replaces the commands whose
behaviour matters for security (EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA). The grammar of
their arguments is `grammar.py` (pure), the order of verbs is the table of `dispatch.py`,
and every policy decision is left to the typed hooks of `hooks.py` (`handler.py`).
Every aiosmtpd 1.4.6 internal used here is listed, with why, in `upstream.py`.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from base64 import b64decode
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar, cast

from aiosmtpd.smtp import MISSING, SMTP, AuthResult, TLSSetupException

from config import LimitSettings
from crypto import peer_certificate
from mailserver.auth import Login
from mailserver.inbound import DsnParamError, parse_mail_dsn, parse_rcpt_dsn
from mailserver.limits import ConnectionRegistry
from mailserver.services import MailServices
from mailserver.smtp import codes
from mailserver.smtp.data import DataVerdict, read_data
from mailserver.smtp.dispatch import VERBS, Phase, phase_refusal
from mailserver.smtp.grammar import (
    MailParamError,
    PathError,
    parse_mail_params,
    parse_params,
    parse_path,
)
from mailserver.smtp.hooks import SmtpHooks
from mailserver.smtp.state import ListenerKind, MssEnvelope, MssSession, TlsInfo
from mailserver.smtp.trace import log_transaction

log = logging.getLogger("mailserver.smtp")
T = TypeVar("T")

MAX_AUTH_FAILURES = 3
MAIL_PARAMS = frozenset({"SIZE", "BODY", "SMTPUTF8", "RET", "ENVID", "AUTH"})
RCPT_PARAMS = frozenset({"NOTIFY", "ORCPT"})
COMMAND_LIMIT = 512
PATH_COMMAND_LIMIT = 1024   # MAIL/RCPT with their parameters


class MssSMTP(SMTP):
    def __init__(self, handler: SmtpHooks, *, services: MailServices, kind: ListenerKind,
                 registry: ConnectionRegistry[MssSMTP], tls_context: ssl.SSLContext | None,
                 implicit_tls: bool, loop: asyncio.AbstractEventLoop) -> None:
        limits: LimitSettings = services.settings.limits
        # Set before SMTP.__init__, which builds the StreamReader from it.
        self.line_length_limit = limits.max_line_length
        self.services = services
        self.kind = kind
        self.limits = limits
        self.registry = registry
        self.implicit_tls = implicit_tls
        self.shutting_down = False
        self._refusal: str | None = None
        self._admitted = False
        self._busy = False
        self._greeting_pending = True
        self._raw_replies = False
        self._abort_handle: asyncio.TimerHandle | None = None
        self.hooks = handler
        super().__init__(
            handler, data_size_limit=limits.max_message_size, enable_SMTPUTF8=True,
            decode_data=False, hostname=services.settings.server.hostname,
            ident="ESMTP mssante", tls_context=None if implicit_tls else tls_context,
            require_starttls=False, timeout=limits.smtp_timeout, auth_required=False,
            auth_require_tls=False, loop=loop)
        # aiosmtpd keeps these in a class-wide dict that EHLO grows; keep ours per session.
        self.command_size_limits = defaultdict(
            lambda: COMMAND_LIMIT, {"MAIL": PATH_COMMAND_LIMIT, "RCPT": PATH_COMMAND_LIMIT})
        # Every verb aiosmtpd dispatches runs through the table (KeyError: a verb unknown
        # to dispatch.VERBS, e.g. after an aiosmtpd upgrade).
        self._smtp_methods = {name: self._guard(name, method)
                              for name, method in self._smtp_methods.items()}

    # -- typed views --------------------------------------------------------------------

    # (No asserts here: aiosmtpd's __init__ reads every attribute before they are set.)
    @property
    def sess(self) -> MssSession:
        return cast(MssSession, self.session)

    @property
    def env(self) -> MssEnvelope:
        return cast(MssEnvelope, self.envelope)

    def _create_session(self) -> MssSession:
        return MssSession(self.loop)

    def _create_envelope(self) -> MssEnvelope:
        return MssEnvelope()

    def in_transaction(self) -> bool:
        return isinstance(self.envelope, MssEnvelope) and self.envelope.mail_from is not None

    def phase(self) -> Phase:
        if not self.sess.host_name:
            return Phase.CONNECTED
        return Phase.MAIL if self.in_transaction() else Phase.GREETED

    # -- connection life ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        first = self.transport is None
        super().connection_made(transport)
        sess = self.sess
        peer = transport.get_extra_info("peername")
        sess.client_ip = str(peer[0]) if peer else "unknown"
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None:
            cipher = ssl_object.cipher()
            sess.tls = TlsInfo(ssl_object.version() or "TLS", cipher[0] if cipher else "")
        if first:
            self._refusal = self.registry.admit(self, sess.client_ip)
            self._admitted = self._refusal is None

    def connection_lost(self, error: Exception | None) -> None:
        if self._abort_handle is not None:
            self._abort_handle.cancel()
        if self._admitted:
            self._admitted = False
            self.registry.release(self)
        if self.in_transaction():
            self._finish_transaction("abandoned: connection lost")
        super().connection_lost(error)

    async def _handle_client(self) -> None:
        if self._refusal is not None:
            self._greeting_pending = False
            await self.push(codes.TOO_MANY_CONNECTIONS_CLIENT if self._refusal == "client"
                            else codes.TOO_MANY_CONNECTIONS)
            self._close()
            return
        await super()._handle_client()

    def _close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def _say_and_close(self, reply: str, linger: float = 2.0) -> None:
        """Reply without waiting (used from outside the session's task) and close; a TLS
        peer that does not answer our close_notify is cut off after `linger` seconds."""
        if self.transport is None:
            return
        if not self.transport.is_closing():
            try:
                self._writer.write(reply.encode() + b"\r\n")
            except (ConnectionError, RuntimeError):
                pass
            self._close()
        if self._abort_handle is None:
            self._abort_handle = self.loop.call_later(linger, self._hard_abort)

    def _hard_abort(self) -> None:
        for transport in (self.transport, self._original_transport):
            if transport is not None:
                transport.abort()  # type: ignore[attr-defined]

    def begin_shutdown(self) -> None:
        """Stop taking new work: an idle session is told 421 at once, a busy one after."""
        self.shutting_down = True
        if not self._busy and not self.in_transaction():
            self._say_and_close(codes.SHUTTING_DOWN)

    def abort(self) -> None:
        """Grace is over: 421 and close, whatever the session was doing."""
        self._say_and_close(codes.SHUTTING_DOWN, linger=0.5)

    def _timeout_cb(self) -> None:
        log.info("smtp %s: client %s silent for %ss, closing", self.kind.value,
                 self.sess.client_ip, self.limits.smtp_timeout)
        self._say_and_close(codes.TIMEOUT)

    async def handle_exception(self, error: Exception) -> str:
        """A failed STARTTLS handshake is an expected event (scanners, wrong CA): one short
        log line, no traceback; aiosmtpd then closes the connection without a reply."""
        if isinstance(error, TLSSetupException):
            cause = error.__cause__ or error
            reason = getattr(cause, "reason", None) or cause.__class__.__name__
            log.info("smtp %s: STARTTLS handshake with %s failed: %s", self.kind.value,
                     self.sess.client_ip, str(reason)[:120])
            return codes.TLS_UNAVAILABLE
        return await self.hooks.handle_exception(error)

    # -- replies ------------------------------------------------------------------------

    async def push(self, status: str | bytes) -> None:
        data = status.encode("utf-8") if isinstance(status, str) else status
        if self._greeting_pending:
            self._greeting_pending = False
        elif not self._raw_replies:
            data = codes.with_enhanced(data)
        await super().push(data)

    async def push_raw(self, lines: list[str]) -> None:
        self._raw_replies = True
        try:
            for line in lines:
                await self.push(line)
        finally:
            self._raw_replies = False

    # -- dispatch guard -----------------------------------------------------------------

    def _guard(self, name: str, method: Callable[[str | None], Awaitable[None]]
               ) -> Callable[[str | None], Awaitable[None]]:
        rule = VERBS[name]

        async def run(arg: str | None) -> None:
            if self.shutting_down and not self.in_transaction() and name != "QUIT":
                await self.push(codes.SHUTTING_DOWN)
                self._close()
                return
            # relay (issue 5): the MX requires STARTTLS too, like the submission port.
            if (self.kind in (ListenerKind.SUBMISSION_STARTTLS, ListenerKind.MX)
                    and self.sess.tls is None and not rule.before_tls):
                await self.push(codes.STARTTLS_REQUIRED)
                return
            refused = phase_refusal(name, self.phase())
            if refused is not None:
                await self.push(refused)
                return
            self._busy = True
            try:
                await method(arg)
            finally:
                self._busy = False
            if self.shutting_down and not self.in_transaction() and name != "QUIT":
                self._say_and_close(codes.SHUTTING_DOWN)
        return run

    # -- greeting and TLS ---------------------------------------------------------------

    async def smtp_HELO(self, hostname: str | None) -> None:
        if not hostname:
            await self.push(codes.SYNTAX_HELO)
            return
        self._set_rset_state()  # type: ignore[no-untyped-call]
        self.sess.extended_smtp = False
        self.sess.host_name = hostname
        await self.push_raw([f"250 {self.hostname}"])

    async def smtp_EHLO(self, hostname: str | None) -> None:
        if not hostname:
            await self.push(codes.SYNTAX_EHLO)
            return
        self._set_rset_state()  # type: ignore[no-untyped-call]
        sess = self.sess
        sess.extended_smtp = True
        sess.host_name = hostname
        ext = [self.hostname, f"SIZE {self.limits.max_message_size}", "8BITMIME", "SMTPUTF8",
               "PIPELINING", "ENHANCEDSTATUSCODES", "DSN"]  # DSN: relay (issue 5)
        if self.tls_context is not None and sess.tls is None:
            ext.append("STARTTLS")
        if self.kind.submission and sess.tls is not None:
            mechs = ["LOGIN", "PLAIN"]
            if self._peer_certificate_der():
                mechs.append("EXTERNAL")
            ext.append("AUTH " + " ".join(mechs))
        lines = [f"250-{e}" for e in ext[:-1]] + [f"250 {ext[-1]}"]
        await self.push_raw(lines)

    async def smtp_STARTTLS(self, arg: str | None) -> None:
        if arg:
            await self.push(codes.SYNTAX_STARTTLS)
        elif self.sess.tls is not None:
            await self.push(codes.TLS_ALREADY_ACTIVE)
        elif self.tls_context is None:
            await self.push(codes.TLS_UNAVAILABLE)
        else:
            await super().smtp_STARTTLS(arg)   # "220", handshake, fresh session, empty buffer

    def ssl_object(self) -> ssl.SSLObject | ssl.SSLSocket | None:
        if self.transport is None:
            return None
        obj = self.transport.get_extra_info("ssl_object")
        return obj if isinstance(obj, ssl.SSLObject | ssl.SSLSocket) else None

    def _peer_certificate_der(self) -> bytes | None:
        obj = self.ssl_object()
        return obj.getpeercert(binary_form=True) if obj is not None else None

    # -- authentication -----------------------------------------------------------------

    async def identity(self) -> Login | None:
        """Who is submitting: the AUTH login, else the TLS client certificate's account."""
        sess = self.sess
        if sess.login is not None:
            return sess.login
        if not sess.cert_checked and sess.tls is not None:
            sess.cert_checked = True
            obj = self.ssl_object()
            cert = peer_certificate(obj) if obj is not None else None
            if cert is not None:
                sess.cert_login = await self.services.auth.certificate_login(
                    cert, sess.client_ip, "smtp")
        return sess.cert_login

    async def smtp_AUTH(self, arg: str | None) -> None:
        sess = self.sess
        if not self.kind.submission:
            await self.push(codes.AUTH_UNAVAILABLE)
            return
        if not sess.host_name or not sess.extended_smtp:
            await self.push(codes.NEED_EHLO_FOR_AUTH)
            return
        if sess.tls is None:
            await self.push(codes.ENCRYPTION_REQUIRED)
            return
        if sess.login is not None:
            await self.push(codes.ALREADY_AUTHENTICATED)
            return
        if self.in_transaction():
            await self.push(codes.AUTH_IN_TRANSACTION)
            return
        if arg and arg.split()[0].upper() not in self._auth_methods:
            await self.push(codes.UNKNOWN_MECHANISM)
            return
        if arg:
            first, _, rest = arg.partition(" ")
            arg = first.upper() + (" " + rest if rest else "")
        await super().smtp_AUTH(arg)
        if sess.authenticated and isinstance(sess.auth_data, Login):
            sess.login = sess.auth_data
            sess.auth_data = None
        elif sess.auth_failures >= MAX_AUTH_FAILURES:
            await self.push(codes.TOO_MANY_AUTH_FAILURES)
            self._close()

    async def _password_auth(self, login: bytes, password: bytes) -> AuthResult:
        sess = self.sess
        auth = self.services.auth
        address = login.decode("utf-8", "replace")
        secret = password.decode("utf-8", "replace")
        result = await auth.login_with_password(address, secret, sess.client_ip, "smtp")
        if isinstance(result, Login):
            return AuthResult(success=True, auth_data=result)
        sess.auth_failures += 1
        return AuthResult(success=False, handled=False, message=codes.AUTH_THROTTLED
                          if result.temporary else codes.AUTH_FAILED)

    async def _sasl_response(self, args: list[str]) -> bytes | None:
        """The client's SASL response: the initial one, else asked with a 334."""
        if len(args) == 1:
            blob = await self.challenge_auth("")
            return blob if isinstance(blob, bytes) else None
        if args[1] == "=":
            return b""
        try:
            return b64decode(args[1].encode(), validate=True)
        except ValueError:
            await self.push("501 5.5.2 Cannot decode base64")
            return None

    async def auth_PLAIN(self, _: object, args: list[str]) -> AuthResult:
        blob = await self._sasl_response(args)
        if blob is None:
            return AuthResult(success=False, handled=True)
        parts = blob.split(b"\x00")
        if len(parts) != 3:
            await self.push("501 5.5.2 Cannot split the PLAIN response")
            return AuthResult(success=False, handled=True)
        authzid, login, password = parts
        if authzid and authzid.lower() != login.lower():
            self.sess.auth_failures += 1
            return AuthResult(success=False, handled=False, message=codes.AUTH_FAILED)
        return await self._password_auth(login, password)

    async def auth_LOGIN(self, _: object, args: list[str]) -> AuthResult:
        if len(args) == 1:
            got = await self.challenge_auth(self.AuthLoginUsernameChallenge)
            if got is MISSING:
                return AuthResult(success=False, handled=True)
            login = got
        else:
            try:
                login = b64decode(args[1].encode(), validate=True)
            except ValueError:
                await self.push("501 5.5.2 Cannot decode base64")
                return AuthResult(success=False, handled=True)
        password = await self.challenge_auth(self.AuthLoginPasswordChallenge)
        if password is MISSING:
            return AuthResult(success=False, handled=True)
        assert isinstance(login, bytes) and isinstance(password, bytes)
        return await self._password_auth(login, password)

    async def auth_EXTERNAL(self, _: object, args: list[str]) -> AuthResult:
        """RFC 4422 appendix A: the identity is the TLS client certificate's."""
        blob = await self._sasl_response(args)
        if blob is None:
            return AuthResult(success=False, handled=True)
        authzid = blob.decode("utf-8", "replace").strip().lower()
        login = await self.identity()
        if login is None or (authzid and authzid != login.account.address):
            self.sess.auth_failures += 1
            return AuthResult(success=False, handled=False, message=codes.AUTH_FAILED)
        return AuthResult(success=True, auth_data=login)

    # -- the mail transaction -----------------------------------------------------------

    async def _path_and_params(self, arg: str | None, keyword: str, *, null_ok: bool,
                               allowed: frozenset[str]) -> tuple[str, str, dict[str, str]] | None:
        """MAIL/RCPT argument: (address, parameters text, parameters by upper-case name), or
        None once the error reply has been pushed."""
        syntax = codes.SYNTAX_MAIL if keyword == "FROM:" else codes.SYNTAX_RCPT
        path = parse_path(arg, keyword, null_ok=null_ok)
        if isinstance(path, PathError):
            await self.push(syntax if path is PathError.SYNTAX else codes.BAD_ADDRESS)
            return None
        address, rest = path.address, path.rest
        params = parse_params(rest)
        if params is None or (params and not self.sess.extended_smtp):
            await self.push(syntax)
            return None
        for name in params:
            if name not in allowed:
                await self.push(codes.UNKNOWN_PARAMETER.format(name=name))
                return None
        return address, rest, params

    async def _dsn_params(self, parse: Callable[[Iterable[str]], T], params: dict[str, str],
                          names: Iterable[str]) -> T | None:
        """RFC 3461 parameters `names` parsed by `parse`, or None once 501 has been pushed."""
        wanted = set(names)
        try:
            return parse(f"{k}={v}" for k, v in params.items() if k in wanted)
        except DsnParamError as exc:
            await self.push(f"501 5.5.4 {exc}")
            return None

    async def smtp_MAIL(self, arg: str | None) -> None:
        login = None
        if self.kind.submission:
            login = await self.identity()
            if login is None:
                await self.push(codes.AUTH_REQUIRED)
                return
        parsed = await self._path_and_params(arg, "FROM:", null_ok=True, allowed=MAIL_PARAMS)
        if parsed is None:
            return
        address, rest, params = parsed
        env = self.env
        mail = parse_mail_params(params, self.limits.max_message_size)
        if isinstance(mail, MailParamError):
            await self.push(self._mail_param_reply(mail))
            return
        env.declared_size = mail.size
        env.smtp_utf8 = mail.smtputf8
        # relay (issue 5): RET and ENVID checked and stored decoded ("ret", "envid").
        mail_dsn = await self._dsn_params(parse_mail_dsn, params, ("RET", "ENVID"))
        if mail_dsn is None:
            return
        env.params = mail_dsn[0]
        env.sender_login = login
        status = await self.hooks.handle_MAIL(self, self.sess, env, address, rest.split())
        env.sender_code = codes.code_of(status)
        if env.mail_from is None:     # refused: this transaction ends here
            log_transaction(self.kind.value, self.sess, env, status, env.declared_size,
                            self.services.patients.is_patient_address, sender=address)
        await self.push(status)

    async def smtp_RCPT(self, arg: str | None) -> None:
        parsed = await self._path_and_params(arg, "TO:", null_ok=False, allowed=RCPT_PARAMS)
        if parsed is None:
            return
        address, rest, params = parsed
        # relay (issue 5): NOTIFY and ORCPT must be well-formed (RFC 3461); parsed here once,
        # the RCPT hook finds them in `envelope.rcpt_dsn`.
        rcpt_dsn = await self._dsn_params(parse_rcpt_dsn, params, RCPT_PARAMS)
        if rcpt_dsn is None:
            return
        if len(self.env.rcpt_tos) >= self.limits.max_recipients:
            await self.push(codes.TOO_MANY_RECIPIENTS)
            return
        notify, orcpt, _ = rcpt_dsn
        self.env.rcpt_dsn = (notify, orcpt)
        status = await self.hooks.handle_RCPT(self, self.sess, self.env, address,
                                              rest.split())
        await self.push(status)

    def _mail_param_reply(self, error: MailParamError) -> str:
        if error is MailParamError.BAD_SIZE:
            return codes.BAD_SIZE
        if error is MailParamError.TOO_BIG:
            return codes.TOO_BIG.format(limit=self.limits.max_message_size)
        if error is MailParamError.BAD_BODY:
            return codes.BAD_BODY
        return codes.SMTPUTF8_NO_VALUE

    async def smtp_RSET(self, arg: str | None) -> None:
        if arg:
            await self.push("501 5.5.4 Syntax: RSET")
            return
        self._set_rset_state()  # type: ignore[no-untyped-call]
        await self.push(codes.RESET_OK)

    async def smtp_DATA(self, arg: str | None) -> None:
        if arg:
            await self.push(codes.SYNTAX_DATA)
            return
        env = self.env
        if not env.rcpt_tos:
            await self.push(codes.NO_VALID_RECIPIENTS)
            return
        await self.push(codes.START_DATA)
        result = await read_data(self._reader, max_size=self.limits.max_message_size,
                                 max_line=self.limits.max_line_length, touch=self._reset_timeout)
        self._reset_timeout()
        if result.verdict is DataVerdict.OK:
            env.content = env.original_content = result.content
            try:
                status = await self.hooks.handle_DATA(self, self.sess, env)
            except Exception as exc:   # the transaction ends here whatever happened
                status = await self.handle_exception(exc)
        elif result.verdict is DataVerdict.BARE_NEWLINE:
            status = codes.BARE_NEWLINE
        elif result.verdict is DataVerdict.NUL:
            status = codes.NUL_IN_DATA
        elif result.verdict is DataVerdict.LINE_TOO_LONG:
            status = codes.LINE_TOO_LONG
        else:
            status = codes.TOO_BIG.format(limit=self.limits.max_message_size)
        self._finish_transaction(status, size=result.size)
        self._set_post_data_state()
        await self.push(status)

    # -- transaction log ----------------------------------------------------------------

    def _set_post_data_state(self) -> None:
        if self.in_transaction():
            self._finish_transaction("abandoned")
        super()._set_post_data_state()  # type: ignore[no-untyped-call]

    def _finish_transaction(self, result: str, size: int | None = None) -> None:
        env = self.env
        if env.mail_from is None:
            return
        log_transaction(self.kind.value, self.sess, env, result, size,
                        self.services.patients.is_patient_address)
        env.mail_from = None
