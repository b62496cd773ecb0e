"""The aiosmtpd internals we rely on (mailserver/smtp/upstream.py) exist in the installed
version, and every verb aiosmtpd dispatches has a rule in the dispatch table."""

from __future__ import annotations

import asyncio
import inspect
import logging
from importlib.metadata import version

import aiosmtpd.smtp as upstream_smtp
from aiosmtpd.smtp import SMTP, Envelope, Session

from mailserver.smtp import codes
from mailserver.smtp.dispatch import VERBS, Phase, phase_refusal
from mailserver.smtp.upstream import AIOSMTPD_VERSION, RELIED_ON


async def test_pinned_version_and_every_internal_exists() -> None:
    assert version("aiosmtpd") == AIOSMTPD_VERSION
    loop = asyncio.get_running_loop()
    smtp = SMTP(object(), loop=loop)
    session, envelope = Session(loop), Envelope()
    source = inspect.getsource(upstream_smtp)
    owners = {"SMTP": smtp, "Session": session, "Envelope": envelope,
              "module": upstream_smtp}
    for name in RELIED_ON:
        owner, _, attr = name.partition(".")
        if owner == "logger":
            assert attr in logging.Logger.manager.loggerDict, name
            continue
        # Set only once connected (e.g. _reader): assigned in aiosmtpd's own source.
        assert hasattr(owners[owner], attr) or f"self.{attr} = " in source, name


def test_every_aiosmtpd_verb_has_a_rule() -> None:
    verbs = {m.removeprefix("smtp_") for m in dir(SMTP) if m.startswith("smtp_")}
    assert verbs == set(VERBS)


def test_phase_table() -> None:
    assert phase_refusal("MAIL", Phase.CONNECTED) == codes.NEED_HELO
    assert phase_refusal("MAIL", Phase.MAIL) == codes.NESTED_MAIL
    assert phase_refusal("MAIL", Phase.GREETED) is None
    for verb in ("RCPT", "DATA"):
        assert phase_refusal(verb, Phase.CONNECTED) == codes.NEED_HELO
        assert phase_refusal(verb, Phase.GREETED) == codes.NEED_MAIL
        assert phase_refusal(verb, Phase.MAIL) is None
    for verb in ("NOOP", "RSET", "EHLO", "QUIT"):
        assert all(phase_refusal(verb, p) is None for p in Phase)
