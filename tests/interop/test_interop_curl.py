"""Debian's `curl` as an IMAP client: list, search and fetch over imaps (and STARTTLS)."""

from __future__ import annotations

import asyncio
import re

from interop_support import Target, make_message, need_tool

from tests.conftest import DOCTOR, PASSWORD


async def curl(t: Target, url: str, *args: str) -> tuple[int, bytes, bytes]:
    exe = need_tool("curl")
    proc = await asyncio.create_subprocess_exec(
        exe, "--silent", "--show-error", "--max-time", "20", "--cacert", str(t.cafile),
        "-u", f"{DOCTOR}:{PASSWORD}", *args, url,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out, err


async def test_curl_lists_and_fetches_over_imaps(target: Target) -> None:
    need_tool("curl")
    raws = [make_message(i, subject=f"Ordonnance {i}") for i in range(1, 4)]
    for raw in raws:
        await target.deliver(DOCTOR, raw)
    base = f"imaps://127.0.0.1:{target.tls_port}"

    rc, out, err = await curl(target, base + "/")
    assert rc == 0, err
    assert re.search(rb'^\* LIST \([^)]*\) "[./]" "?INBOX"?\r?$', out, re.M), out
    assert b"Sent" in out and b"Trash" in out

    rc, out, err = await curl(target, base + "/", "-X", 'LIST "" *')
    assert rc == 0, err
    assert b"\\Sent" in out and b"\\Trash" in out, out

    rc, out, err = await curl(target, base + "/INBOX?ALL")
    assert rc == 0, err
    match = re.search(rb"^\* SEARCH ((?:\d+ ?)+)\r?$", out, re.M)
    assert match, out
    uids = [int(x) for x in match.group(1).split()]
    assert len(uids) == 3

    rc, out, err = await curl(target, base + "/INBOX?SUBJECT%20%22Ordonnance%202%22")
    assert rc == 0, err
    assert re.search(rb"^\* SEARCH 2\r?$", out, re.M), out

    rc, out, err = await curl(target, base + f"/INBOX;UID={uids[0]}")
    assert rc == 0, err
    assert out == raws[0]

    rc, out, err = await curl(target, base + "/INBOX;MAILINDEX=3;SECTION=HEADER.FIELDS%20(SUBJECT)")
    assert rc == 0, err
    assert out.strip() == b"Subject: Ordonnance 3"

    rc, out, err = await curl(target, base + "/INBOX", "-X", "EXAMINE INBOX")
    assert rc == 0, err
    assert re.search(rb"^\* 3 EXISTS\r?$", out, re.M), out

    rc, out, err = await curl(target, base + "/NoSuchFolder;UID=1")
    assert rc != 0


async def test_curl_starttls_and_wrong_password(target: Target) -> None:
    need_tool("curl")
    raw = make_message(1)
    await target.deliver(DOCTOR, raw)
    url = f"imap://127.0.0.1:{target.starttls_port}"
    rc, out, err = await curl(target, url + "/INBOX;MAILINDEX=1", "--ssl-reqd")
    assert rc == 0, err
    assert out == raw
    exe = need_tool("curl")
    proc = await asyncio.create_subprocess_exec(
        exe, "--silent", "--show-error", "--max-time", "20", "--cacert", str(target.cafile),
        "-u", f"{DOCTOR}:not-the-password", f"imaps://127.0.0.1:{target.tls_port}/",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode == 67, (proc.returncode, err)  # CURLE_LOGIN_DENIED
