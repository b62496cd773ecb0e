"""Webmail settings: session lifetimes and cookie names (design brief §4, issue defaults).

Kept here until the configuration file grows a `[webmail]` section; `create_app` takes
them as an argument so tests and operators' wiring can change them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from mailserver.store.websessions import Lifetimes


@dataclass(frozen=True)
class WebmailSettings:
    idle_timeout: int = 30 * 60          # seconds without a request before logout
    absolute_lifetime: int = 12 * 3600   # seconds after login, whatever the activity
    # "__Host-": the browser only accepts it Secure, for "/", without a Domain attribute.
    session_cookie: str = "__Host-mssante-session"
    login_cookie: str = "__Host-mssante-login"
    default_language: str = "fr"

    @property
    def lifetimes(self) -> Lifetimes:
        return Lifetimes(idle=timedelta(seconds=self.idle_timeout),
                         absolute=timedelta(seconds=self.absolute_lifetime))
