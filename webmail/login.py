"""Password checks for the webmail, through the shared Authenticator (same throttling,
same Argon2 work, same audit records as IMAP and SMTP).

The answer is typed: a Login, a plain refusal ("wrong address or password", nothing more),
or a temporary refusal (too many failures, or every Argon2 worker busy), shown as HTTP 429.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailserver.auth import Authenticator, Login

PROTOCOL = "webmail"
DEFAULT_RETRY_AFTER = 60


@dataclass(frozen=True)
class TryLater:
    retry_after: int


class Refused:
    """Wrong credentials, or an account that may not log in: never says which."""


REFUSED = Refused()
LoginAnswer = Login | TryLater | Refused


async def check_password(auth: Authenticator, address: str, password: str,
                         client: str) -> LoginAnswer:
    # Authenticator.login_with_password (typed refusals) replaces the boolean throttle
    # check in newer trees; use it when present so both shapes keep working.
    typed = getattr(auth, "login_with_password", None)
    if typed is not None:
        result = await typed(address, password, client, PROTOCOL)
        if isinstance(result, Login):
            return result
        if getattr(result, "temporary", False):
            return TryLater(int(getattr(result, "retry_after", 0)) or DEFAULT_RETRY_AFTER)
        return REFUSED
    if auth.throttled(client, address):
        return TryLater(int(auth.settings.failure_window))
    login = await auth.password_login(address, password, client, PROTOCOL)
    return login if login is not None else REFUSED
