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
    result = await auth.login_with_password(address, password, client, PROTOCOL)
    if isinstance(result, Login):
        return result
    if result.temporary:
        return TryLater(result.retry_after or DEFAULT_RETRY_AFTER)
    return REFUSED
