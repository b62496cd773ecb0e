"""Small shared helpers of the IMAP server: flag normalisation, search-key walking, the
connection registry's limits."""

from __future__ import annotations

from datetime import date

from mailserver.imap.proto.search import (
    AllKey,
    AndKey,
    DateKey,
    HeaderKey,
    ModSeqKey,
    NotKey,
    OrKey,
)
from mailserver.imap.search_eval import any_key, needs_content, uses_modseq
from mailserver.imap.view import normalise_flags
from mailserver.limits import ConnectionRegistry


def test_normalise_flags() -> None:
    assert normalise_flags(["\\SEEN", "$Label", "\\seen", "\\recent", "$Label"]) == (
        ["\\Seen", "$Label"], False)
    assert normalise_flags(["\\flagged", "\\Unknown", "kw"]) == (["\\Flagged", "kw"], True)
    assert normalise_flags(["\\*"]) == ([], True)
    assert normalise_flags([]) == ([], False)


def test_any_key_walks_not_or_and() -> None:
    sent = DateKey("sent", "on", date(2026, 1, 1))
    modseq = ModSeqKey(5)
    tree = AndKey((AllKey(), NotKey(OrKey(AllKey(), sent))))
    assert needs_content(tree) and not uses_modseq(tree)
    assert uses_modseq(OrKey(AllKey(), NotKey(modseq))) and not needs_content(modseq)
    assert needs_content(HeaderKey("subject", "x"))
    assert not needs_content(DateKey("internal", "on", date(2026, 1, 1)))
    assert any_key(tree, lambda k: k is sent) and not any_key(AllKey(), lambda k: False)


def test_registry_zero_limit_per_protocol() -> None:
    smtp: ConnectionRegistry[object] = ConnectionRegistry(0, 0)
    assert smtp.admit("a", "1.2.3.4") is None  # SMTP: 0 is unlimited
    imap: ConnectionRegistry[object] = ConnectionRegistry(0, 5, zero_is_unlimited=False)
    assert imap.admit("b", "1.2.3.4") == "total"  # IMAP: 0 refuses
    imap = ConnectionRegistry(5, 1, zero_is_unlimited=False)
    assert imap.admit("c", "1.2.3.4") is None and imap.admit("d", "1.2.3.4") == "client"
    imap.release("c")
    assert imap.admit("d", "1.2.3.4") is None and imap.sessions == ["d"] and len(imap) == 1
