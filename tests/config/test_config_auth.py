"""`[auth]` values that would disable the throttle or break the login cache are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError, load_settings
from tests.config.test_config_loading import data, write

__all__ = ["data"]


@pytest.mark.parametrize("line, key", [
    ("max_failures_per_client_account = 0", "auth.max_failures_per_client_account"),
    ("login_cache_ttl = -1", "auth.login_cache_ttl"),
    ("argon2_queue = -3", "auth.argon2_queue"),
    ("backoff_start = 0", "auth.backoff_start"),
    ("backoff_start = 1000\nbackoff_max = 10", "auth.backoff_start"),
])
def test_bad_auth_values_name_the_key(data: Path, line: str, key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_settings(write(data, f"[auth]\n{line}\n"), environ={})


def test_auth_defaults(data: Path) -> None:
    a = load_settings(write(data, ""), environ={}).auth
    assert a.login_cache_ttl == 900 and a.max_failures_per_client_account == 5
