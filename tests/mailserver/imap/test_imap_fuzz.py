"""Whole-session fuzzing: random and mutated command lines never kill a session.

Every answer passes the grammar oracle (``Wire.response``); after the noise, ``DONE``
(ends an IDLE or SASL exchange the noise may have opened) and a NOOP must get
``OK``.  Literal markers are kept out of the noise (a fuzzed ``{N}`` would legitimately
swallow the next N bytes); literals have their own tests.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailserver.services import MailServices
from tests.conftest import DOCTOR, PASSWORD
from tests.mailserver.imap.conftest import SQLITE_ONLY, Connect, deliver

TEMPLATES = [
    b"a SELECT INBOX", b"a EXAMINE Archive", b"a FETCH 1:* (FLAGS UID BODY.PEEK[HEADER])",
    b"a UID FETCH 1:* (BODYSTRUCTURE ENVELOPE BODY[1]<0.10>)", b"a STORE 1 +FLAGS (\\Seen)",
    b"a UID STORE 1:* -FLAGS.SILENT (\\Flagged $x)", b"a SEARCH OR SEEN (FROM x) NOT 1:2",
    b"a UID SEARCH CHARSET UTF-8 TEXT hello", b'a LIST "" *', b'a LIST (SUBSCRIBED) "" %',
    b"a STATUS INBOX (MESSAGES UIDNEXT HIGHESTMODSEQ)", b"a CREATE Fuzz/Box",
    b"a RENAME Fuzz Fuzz2", b"a DELETE Fuzz2", b"a COPY 1 Archive", b"a UID MOVE 2 Trash",
    b"a EXPUNGE", b"a UID EXPUNGE 1:3", b"a CLOSE", b"a UNSELECT", b"a NOOP", b"a CHECK",
    b"a ENABLE CONDSTORE", b'a ID ("name" "fuzz")', b"a NAMESPACE", b"a CAPABILITY",
    b"a FETCH 1 (BODY[HEADER.FIELDS (Subject From)])", b"a STORE 1 (UNCHANGEDSINCE 1) FLAGS ()",
    b"a LSUB \"\" *", b"a SUBSCRIBE Archive", b"a AUTHENTICATE PLAIN", b"a IDLE",
    b"a FETCH 1:* (CHANGEDSINCE 1 FLAGS)", b"a SEARCH SENTSINCE 1-Jan-2020 LARGER 10",
]
CLEAN = bytes(range(256)).translate(None, b"{\r\n")


def _mutate(data: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    out = bytearray(data)
    for kind, pos, byte in edits:
        if not out:
            break
        pos %= len(out)
        if kind == 0:
            out[pos] = byte
        elif kind == 1:
            out.insert(pos, byte)
        else:
            del out[pos]
    return bytes(b for b in out if b not in b"{\r\n")


noise_line = st.one_of(
    st.binary(max_size=80).map(lambda b: bytes(x for x in b if x in CLEAN)),
    st.tuples(st.sampled_from(TEMPLATES),
              st.lists(st.tuples(st.integers(0, 2), st.integers(0, 200), st.sampled_from(
                  list(CLEAN))), max_size=4)).map(lambda t: _mutate(*t)),
    st.sampled_from(TEMPLATES),
)


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(noise_line, min_size=1, max_size=6), login=st.booleans())
@SQLITE_ONLY
async def test_noise_never_kills_the_session(connect: Connect, services: MailServices,
                                             lines: list[bytes], login: bool) -> None:
    wire = await connect()
    if login:
        await wire.login(DOCTOR, PASSWORD)
    for line in lines:
        if line.upper().split(b" ")[1:2] == [b"LOGOUT"]:
            continue
        wire.send(line + b"\r\n")
    wire.send(b"DONE\r\nzz NOOP\r\n")
    out = await wire.until_tagged(b"zz")
    assert out.splitlines()[-1] == b"zz OK NOOP completed"
    await wire.close()


async def test_noise_on_a_mailbox_with_mail(connect: Connect, services: MailServices) -> None:
    """The templates themselves, in order, on a mailbox with mail (all must answer)."""
    await deliver(services, b"Subject: x\r\nFrom: x@hopital.test\r\n\r\nhello\r\n", DOCTOR)
    wire = await connect()
    await wire.login(DOCTOR, PASSWORD)
    for i, template in enumerate(TEMPLATES):
        tag = b"k%d" % i
        wire.send(tag + template[1:] + b"\r\n")
        if template.endswith(b"IDLE"):
            await wire.response()  # the continuation
            wire.send(b"DONE\r\n")
        out = await wire.until_tagged(tag)
        assert out.splitlines()[-1].split(b" ")[1] in (b"OK", b"NO", b"BAD")
    wire.send(b"zz NOOP\r\n")
    assert (await wire.until_tagged(b"zz")).endswith(b"zz OK NOOP completed\r\n")
