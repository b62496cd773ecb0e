"""The pure SMTP grammar (mailserver/smtp/grammar.py): examples, and hypothesis properties,
including agreement with the aiosmtpd 1.4.6 address reader it replaced."""

from __future__ import annotations

import string

from aiosmtpd.smtp import SMTP
from hypothesis import given
from hypothesis import strategies as st

from mailserver.smtp.grammar import (
    MailParamError,
    MailParams,
    Path,
    PathError,
    parse_mail_params,
    parse_params,
    parse_path,
    read_address,
)

atom = st.text(string.ascii_letters + string.digits + "!#$%&'*+-/=?^_`{|}~", min_size=1,
               max_size=20)
label = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=12)
domain = st.lists(label, min_size=1, max_size=4).map(".".join)
address = st.builds(lambda a, d: f"{a}@{d}", atom, domain)
keyword = st.text(string.ascii_letters + string.digits, min_size=1, max_size=10)
value = st.text(string.ascii_letters + string.digits + "+-.:/", min_size=1, max_size=10)


class _Reader:   # what aiosmtpd's SMTP._getaddr reads of its instance
    local_part_limit = 0


def test_examples() -> None:
    assert parse_path("FROM:<a@b.test> SIZE=10", "FROM:", null_ok=True) == \
        Path("a@b.test", "SIZE=10")
    assert parse_path("from: <a@b.test>", "FROM:", null_ok=True) == Path("a@b.test", "")
    assert parse_path("FROM:<>", "FROM:", null_ok=True) == Path("", "")
    assert parse_path("TO:<>", "TO:", null_ok=False) == PathError.MALFORMED
    assert parse_path("TO:", "TO:", null_ok=False) == PathError.SYNTAX
    assert parse_path("TO:<nobody>", "TO:", null_ok=False) == PathError.MALFORMED
    assert parse_path("TO:<a@>", "TO:", null_ok=False) == PathError.MALFORMED
    assert parse_path("TO:<" + "a" * 251 + "@b.c>", "TO:", null_ok=False) == \
        PathError.MALFORMED
    assert parse_path(None, "TO:", null_ok=False) == PathError.SYNTAX
    assert parse_path("TO:0@", "TO:", null_ok=False) == PathError.MALFORMED
    assert parse_path("TO <a@b>", "TO:", null_ok=False) == PathError.SYNTAX
    assert parse_params(" size=10 BODY=8BITMIME SMTPUTF8") == {
        "SIZE": "10", "BODY": "8BITMIME", "SMTPUTF8": ""}
    assert parse_params("A=") is None and parse_params("a-b=1") is None
    assert parse_mail_params({"SIZE": "x"}, 10) is MailParamError.BAD_SIZE
    assert parse_mail_params({"SIZE": "11", "BODY": "bad"}, 10) is MailParamError.TOO_BIG
    assert parse_mail_params({"BODY": "binarymime"}, 10) is MailParamError.BAD_BODY
    assert parse_mail_params({"SMTPUTF8": "yes"}, 10) is MailParamError.SMTPUTF8_VALUE
    assert parse_mail_params({"SIZE": "9", "BODY": "8bitmime", "SMTPUTF8": ""}, 10) == \
        MailParams(9, "8BITMIME", True)


@given(address, st.dictionaries(keyword, value, max_size=4))
def test_path_and_params_round_trip(addr: str, params: dict[str, str]) -> None:
    text = "".join(f" {k}={v}" for k, v in params.items())
    path = parse_path(f"FROM:<{addr}>{text}", "FROM:", null_ok=True)
    assert path == Path(addr, text.lstrip())
    assert isinstance(path, Path)
    assert parse_params(path.rest) == {k.upper(): v for k, v in params.items()}


@given(st.text(max_size=80))
def test_never_raises_and_agrees_with_aiosmtpd(text: str) -> None:
    for keyword_, null_ok in (("FROM:", True), ("TO:", False)):
        got = parse_path(keyword_ + text, keyword_, null_ok=null_ok)
        assert isinstance(got, Path | PathError)
    ours = read_address(text)
    try:
        theirs = SMTP._getaddr(_Reader(), text)  # type: ignore[arg-type]
    except IndexError:      # a stdlib parser bug aiosmtpd let through: malformed for us
        assert ours is None
        return
    assert ours == (None if theirs == (None, None) else theirs)
    parse_params(text)
