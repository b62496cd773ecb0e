"""Exceptions raised by the crypto package.

Callers catch ``CryptoError`` for "anything went wrong with a key or a blob"; the
subclasses let a protocol layer answer precisely (bad credentials vs. corrupt row).
"""


class CryptoError(Exception):
    """Base class of every error raised by ``crypto``."""


class WrongSecret(CryptoError):
    """The password, recovery key or master key does not open this key blob."""

    def __init__(self, message: str = "wrong password or key") -> None:
        super().__init__(message)


class SealError(CryptoError):
    """A sealed blob failed to open: edited, truncated, swapped or foreign."""

    def __init__(
        self,
        message: str = (
            "sealed data failed authentication: tampered, "
            "or it belongs to another account or message"
        ),
    ) -> None:
        super().__init__(message)


class UnsupportedFormat(CryptoError):
    """The blob carries a version (or kind) byte this code does not know."""
