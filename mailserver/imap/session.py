"""The IMAP session state machine (RFC 3501 §3) and its explicit dispatch table.

``DISPATCH`` maps each command name to its handler and the states it is allowed in; the
session runs the handler, then (in the selected state) sends the untagged updates owed by
the ``SelectedView`` before the tagged response.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from mailserver.mailbox import Mailbox
from mailserver.store import ChangeEvent, MessagesExpunged, StoreError, Subscription

from .cache import AccountCaches, MessageCache
from .handlers import any_state, auth, mailboxes, selected
from .proto import commands as c
from .proto import responses as r
from .proto.codes import SERVERBUG
from .states import ANY, AUTH, NOT_AUTH, SELECTED, State
from .view import SelectedView

if TYPE_CHECKING:
    from cryptography import x509

    from mailserver.services import MailServices

log = logging.getLogger("mailserver.imap")
MAX_QUEUED_EVENTS = 2000


class Io(Protocol):
    """What the session needs from its connection."""

    @property
    def tls(self) -> bool: ...

    @property
    def peer(self) -> str: ...

    def write(self, data: bytes) -> None: ...

    async def drain(self) -> None: ...

    async def read_line(self) -> bytes | None: ...

    async def wait_idle(self, seconds: float) -> str: ...

    async def start_tls(self) -> bool: ...

    def peer_certificate(self) -> x509.Certificate | None: ...

    def set_literal_limit(self, size: int) -> None: ...

    def wake(self) -> None: ...


class _WakingQueue(asyncio.Queue[ChangeEvent]):
    """The subscription queue: wakes an IDLE connection, flags an overflow."""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self._session = session

    def put_nowait(self, item: ChangeEvent) -> None:
        if isinstance(item, MessagesExpunged) and item.copy_ids:
            self._session.evict(item.copy_ids)  # at once: even if dropped or IDLE
        if self.qsize() >= MAX_QUEUED_EVENTS:
            self._session.overflowed = True
            return
        super().put_nowait(item)
        if self._session.idling:
            self._session.io.wake()


Handler = Callable[["Session", Any], Awaitable[r.Tagged | None]]


class Session:
    """One client's protocol state."""

    __slots__ = ("_caches", "_sub", "backend", "condstore", "idling", "io", "overflowed",
                 "services", "starttls_port", "state", "view", "_cache")

    def __init__(self, services: MailServices, io: Io, caches: AccountCaches,
                 starttls_port: bool) -> None:
        self.services = services
        self._caches = caches
        self.io = io
        self.starttls_port = starttls_port
        self.state = State.NOT_AUTHENTICATED
        self.backend: Mailbox | None = None
        self.view: SelectedView | None = None
        self.condstore = False
        self.idling = False
        self.overflowed = False
        self._cache: MessageCache | None = None
        self._sub: Subscription | None = None

    @property
    def cache(self) -> MessageCache:
        """Decrypted messages of this session's account (shared by the account's sessions
        in this process; taken at login, released at logout)."""
        assert self._cache is not None, "no cache before login"
        return self._cache

    # -- output ----------------------------------------------------------------------
    def send(self, response: r.Response) -> None:
        self.io.write(response.to_bytes())

    def send_all(self, responses: list[r.Response]) -> None:
        if responses:
            self.io.write(b"".join(x.to_bytes() for x in responses))

    # -- login / logout ------------------------------------------------------------------
    def logged_in(self, backend: Mailbox) -> None:
        self.backend = backend
        self.state = State.AUTHENTICATED
        self._sub = backend.subscribe()
        self._sub.queue = _WakingQueue(self)
        self._cache = self._caches.acquire(backend.account_id)
        self.io.set_literal_limit(self.services.settings.limits.imap_max_literal)

    def close(self) -> None:
        self.state = State.LOGOUT
        if self._sub is not None:
            self._sub.close()
            self._sub = None
        self.view = None
        if self._cache is not None and self.backend is not None:
            self._caches.release(self.backend.account_id)
        self.backend = None
        self._cache = None

    def evict(self, copy_ids: tuple[str, ...]) -> None:
        """Destroyed copies leave the account's cache (the one place this happens: when
        the session receives the ``MessagesExpunged`` event, whoever expunged)."""
        if self._cache is not None:
            for copy_id in copy_ids:
                self._cache.discard(copy_id)

    # -- change events ---------------------------------------------------------------
    def pump_events(self) -> None:
        """Apply queued store events to the selected view (or drop them)."""
        sub = self._sub
        if sub is None:
            return
        queue = sub.queue
        view = self.view
        if self.overflowed:
            self.overflowed = False
            while not queue.empty():
                queue.get_nowait()
            if view is not None:
                view.overflow()
            return
        while not queue.empty():
            ev = queue.get_nowait()
            if view is not None:
                view.apply(ev)

    def has_events(self) -> bool:
        return self._sub is not None and (not self._sub.queue.empty() or self.overflowed)

    async def updates(self, expunge_ok: bool) -> None:
        """Send what the selected view owes the client now."""
        if self.view is None or self.backend is None:
            return
        self.pump_events()
        if self.view.pending:
            self.send_all(await self.view.sync(self.backend, expunge_ok, self.condstore))

    # -- dispatch ----------------------------------------------------------------------
    async def handle(self, cmd: c.Command) -> None:
        entry = DISPATCH.get(cmd.name)
        if entry is None:
            self.send(r.Tagged(cmd.tag, "BAD", f"{cmd.name} not supported"))
            return
        handler, states = entry
        if self.state not in states:
            self.send(r.Tagged(cmd.tag, "BAD", f"{cmd.name} not allowed now"))
            return
        if self.view is not None:
            self.pump_events()  # the command works on the freshest flags
            if self.view.gone and _uid_form(cmd):  # UID commands may see EXPUNGE first
                self.send_all(self.view.remove(self.view.gone))
        try:
            tagged = await handler(self, cmd)
        except StoreError as exc:
            log.debug("imap %s refused: %s", cmd.name, exc)
            tagged = r.Tagged(cmd.tag, "NO", str(exc) or "refused")
        except (ConnectionError, asyncio.CancelledError):
            raise
        except Exception:
            log.exception("imap %s failed", cmd.name)
            tagged = r.Tagged(cmd.tag, "NO", "internal error", SERVERBUG)
        if tagged is None:
            return
        if self.state is State.SELECTED and tagged.status != "BAD":
            await self.updates(expunge_ok=_expunge_allowed(cmd))
        self.send(tagged)


def _uid_form(cmd: c.Command) -> bool:
    if isinstance(cmd, (c.Fetch, c.Store, c.Search, c.Copy, c.Move, c.Expunge)):
        return cmd.uid
    return False


def _expunge_allowed(cmd: c.Command) -> bool:
    """No EXPUNGE while answering FETCH, STORE or SEARCH (RFC 3501 §7.4.1); UID forms may."""
    if isinstance(cmd, (c.Fetch, c.Store, c.Search)):
        return cmd.uid
    return True


# The dispatch table: command name -> (handler, states where it is allowed).
# UID FETCH/STORE/SEARCH/COPY/MOVE/EXPUNGE share their command's name (``cmd.uid``).
DISPATCH: dict[str, tuple[Handler, frozenset[State]]] = {
    # RFC 3501 §6.1 any state
    "CAPABILITY": (any_state.capability, ANY),
    "NOOP": (any_state.noop, ANY),
    "LOGOUT": (any_state.logout, ANY),
    "ID": (any_state.id_, ANY),  # RFC 2971
    # RFC 3501 §6.2 not authenticated
    "STARTTLS": (auth.starttls, NOT_AUTH),
    "AUTHENTICATE": (auth.authenticate, NOT_AUTH),
    "LOGIN": (auth.login, NOT_AUTH),
    # RFC 3501 §6.3 authenticated (and selected)
    "SELECT": (mailboxes.select, AUTH),
    "EXAMINE": (mailboxes.select, AUTH),
    "CREATE": (mailboxes.create, AUTH),
    "DELETE": (mailboxes.delete, AUTH),
    "RENAME": (mailboxes.rename, AUTH),
    "SUBSCRIBE": (mailboxes.subscribe, AUTH),
    "UNSUBSCRIBE": (mailboxes.subscribe, AUTH),
    "LIST": (mailboxes.list_, AUTH),
    "LSUB": (mailboxes.lsub, AUTH),
    "STATUS": (mailboxes.status, AUTH),
    "APPEND": (mailboxes.append, AUTH),
    "NAMESPACE": (mailboxes.namespace, AUTH),  # RFC 2342
    "ENABLE": (mailboxes.enable, AUTH),  # RFC 5161
    "IDLE": (mailboxes.idle, AUTH),  # RFC 2177
    # RFC 3501 §6.4 selected
    "CHECK": (selected.check, SELECTED),
    "CLOSE": (selected.close, SELECTED),
    "UNSELECT": (selected.unselect, SELECTED),  # RFC 3691
    "EXPUNGE": (selected.expunge, SELECTED),
    "SEARCH": (selected.search, SELECTED),
    "FETCH": (selected.fetch, SELECTED),
    "STORE": (selected.store, SELECTED),
    "COPY": (selected.copy, SELECTED),
    "MOVE": (selected.move, SELECTED),  # RFC 6851
}
