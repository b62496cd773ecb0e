"""Commands valid in any state (RFC 3501 §6.1) and ID (RFC 2971)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..capabilities import capabilities
from ..proto import commands as c
from ..proto import responses as r

if TYPE_CHECKING:
    from ..session import Session

SERVER_ID = (("name", "mssante"), ("vendor", "mssante"), ("support-url", None))


async def capability(s: Session, cmd: c.Capability) -> r.Tagged:
    s.send(r.Capabilities(capabilities(s)))
    return r.Tagged(cmd.tag, "OK", "CAPABILITY completed")


async def noop(s: Session, cmd: c.Command) -> r.Tagged:
    """NOOP (§6.1.2): the session's updates are sent by the dispatcher."""
    return r.Tagged(cmd.tag, "OK", f"{cmd.name} completed")


async def logout(s: Session, cmd: c.Logout) -> r.Tagged:
    s.close()
    s.send(r.bye("Logging out"))
    return r.Tagged(cmd.tag, "OK", "LOGOUT completed")


async def id_(s: Session, cmd: c.Id) -> r.Tagged:
    """ID (RFC 2971 §3.1): our identity; the client's is not logged (may be personal)."""
    s.send(r.IdResp(tuple((k, v) for k, v in SERVER_ID if v is not None)))
    return r.Tagged(cmd.tag, "OK", "ID completed")
