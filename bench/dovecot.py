"""A throwaway Dovecot on loopback: the IMAP baseline of `bench/imap_load.py` and a second
opinion for the interop tests (`MSSANTE_INTEROP_TARGET=dovecot`).

Everything lives in one temporary folder (configuration, passwd-file, Maildirs, sockets,
logs); the instance listens on unprivileged loopback ports and is stopped with SIGTERM.
Works as root (mail owned by `nobody`, login/internal users from the Debian package) and as
an ordinary user (every Dovecot user is that user).

    with Dovecot({"a@x.test": "pw"}, {"a@x.test": {"INBOX": [(raw, ("\\Seen",))]}}) as d:
        print(d.imap_port, d.imaps_port, d.cafile)
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
SPECIAL_USE = {"Sent": r"\Sent", "Drafts": r"\Drafts", "Trash": r"\Trash",
               "Archive": r"\Archive", "Junk": r"\Junk"}
MAILDIR_FLAGS = {r"\Draft": "D", r"\Flagged": "F", r"\Answered": "R", r"\Seen": "S",
                 r"\Deleted": "T"}

# user -> folder -> [(raw message, flags)]
Message = bytes | tuple[bytes, Sequence[str]]
Contents = Mapping[str, Mapping[str, Iterable[Message]]]


def available() -> bool:
    return os.path.exists(DOVECOT)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _self_signed(folder: Path) -> tuple[Path, Path, Path]:
    """A CA-less self-signed certificate for localhost / 127.0.0.1 (also its own CA file)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    os.chmod(key_path, 0o600)
    return cert_path, key_path, cert_path


class Dovecot:
    """Start with `start()` (or as a context manager); `stop()` removes everything."""

    def __init__(self, users: Mapping[str, str], contents: Contents | None = None, *,
                 cert: Path | None = None, key: Path | None = None,
                 cafile: Path | None = None, max_connections: int = 2000,
                 keep: bool = False) -> None:
        self.users = dict(users)
        self.contents = contents or {}
        self.dir = Path(tempfile.mkdtemp(prefix="mssante-dovecot-"))
        os.chmod(self.dir, 0o755)
        if cert and key:
            certs = self.dir / "certs"
            certs.mkdir()
            self.cert, self.key = certs / "cert.pem", certs / "key.pem"
            shutil.copy(cert, self.cert)
            shutil.copy(key, self.key)
            self.cafile = cafile or cert
        else:
            self.cert, self.key, self.cafile = _self_signed(self.dir)
        self.max_connections = max_connections
        self.keep = keep
        self.imap_port = free_port()
        self.imaps_port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self._seq = 0

    # -- layout ------------------------------------------------------------------------

    def _owners(self) -> tuple[int, int, str, str]:
        """(mail uid, mail gid, login user, internal user)."""
        if os.geteuid() != 0:
            me = pwd.getpwuid(os.getuid()).pw_name
            return os.getuid(), os.getgid(), me, me
        nobody = pwd.getpwnam("nobody")
        login = "dovenull" if _user_exists("dovenull") else "nobody"
        internal = "dovecot" if _user_exists("dovecot") else "nobody"
        return nobody.pw_uid, nobody.pw_gid, login, internal

    def home(self, user: str) -> Path:
        return self.dir / "home" / user

    def maildir(self, user: str, folder: str = "INBOX") -> Path:
        base = self.home(user) / "Maildir"
        return base if folder.upper() == "INBOX" else base / ("." + folder.replace("/", "."))

    def add_message(self, user: str, folder: str, raw: bytes, flags: Sequence[str] = (),
                    internal_date: float | None = None) -> Path:
        """Drop a message into a Maildir (Dovecot notices it on its next sync / IDLE)."""
        box = self.maildir(user, folder)
        for sub in ("cur", "new", "tmp"):
            (box / sub).mkdir(parents=True, exist_ok=True)
        self._seq += 1
        base = f"{int(time.time())}.M{self._seq}P{os.getpid()}.bench"
        letters = "".join(sorted(MAILDIR_FLAGS[f] for f in flags if f in MAILDIR_FLAGS))
        tmp = box / "tmp" / base
        tmp.write_bytes(raw)
        dest = box / ("cur" if letters else "new") / (base + (f":2,{letters}" if letters else ""))
        os.rename(tmp, dest)
        if internal_date is not None:
            os.utime(dest, (internal_date, internal_date))
        self._chown(self.home(user))
        return dest

    def _chown(self, top: Path) -> None:
        if os.geteuid() != 0:
            return
        uid, gid, _, _ = self._owners()
        for root, dirs, files in os.walk(top):
            os.chown(root, uid, gid)
            for name in dirs + files:
                os.chown(os.path.join(root, name), uid, gid)
        parent = top.parent
        os.chown(parent, uid, gid)

    def _write_config(self) -> Path:
        uid, gid, login, internal = self._owners()
        (self.dir / "run").mkdir(exist_ok=True)
        (self.dir / "state").mkdir(exist_ok=True)
        passwd = self.dir / "passwd"
        passwd.write_text("".join(f"{u}:{{PLAIN}}{p}::::::\n" for u, p in self.users.items()))
        for user in self.users:
            for sub in ("cur", "new", "tmp"):
                (self.maildir(user) / sub).mkdir(parents=True, exist_ok=True)
        for user, folders in self.contents.items():
            for folder, messages in folders.items():
                for item in messages:
                    raw, flags = (item, ()) if isinstance(item, bytes) else item
                    self.add_message(user, folder, raw, flags)
        for user in self.users:
            self._chown(self.home(user))
        mailboxes = "".join(
            f"  mailbox {name} {{\n    special_use = {use}\n    auto = subscribe\n  }}\n"
            for name, use in SPECIAL_USE.items())
        limit = self.max_connections + 50
        conf = f"""\
base_dir = {self.dir}/run
state_dir = {self.dir}/state
instance_name = mssante-bench-{os.getpid()}-{self.imap_port}
listen = 127.0.0.1
protocols = imap
log_path = {self.dir}/dovecot.log
ssl = required
ssl_cert = <{self.cert}
ssl_key = <{self.key}
ssl_dh = </usr/share/dovecot/dh.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
default_login_user = {login}
default_internal_user = {internal}
first_valid_uid = 1
first_valid_gid = 1
default_process_limit = {limit}
default_client_limit = {limit * 2}
default_vsz_limit = 0
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={self.dir}/home/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
{mailboxes}}}
protocol imap {{
  mail_max_userip_connections = {limit}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.imaps_port}
    ssl = yes
  }}
  process_limit = {limit}
}}
service imap {{
  process_limit = {limit}
}}
service anvil {{
  client_limit = {limit * 3}
}}
service auth {{
  client_limit = {limit * 3}
}}
"""
        path = self.dir / "dovecot.conf"
        path.write_text(conf)
        os.chmod(passwd, 0o644)
        return path

    # -- life cycle --------------------------------------------------------------------

    def start(self, timeout: float = 20.0) -> Dovecot:
        conf = self._write_config()
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                out = self.proc.stdout.read().decode(errors="replace") if self.proc.stdout else ""
                raise RuntimeError(f"dovecot exited: {out}\n{self.log()}")
            if all(_listening(p) for p in (self.imap_port, self.imaps_port)):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("dovecot did not start listening:\n" + self.log())

    def log(self) -> str:
        path = self.dir / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Dovecot:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


if __name__ == "__main__":  # manual check: python bench/dovecot.py
    import imaplib
    import ssl

    sample = {"a@x.test": {"INBOX": [b"Subject: hi\r\n\r\nbody\r\n"]}}
    with Dovecot({"a@x.test": "pw"}, sample) as d:
        ctx = ssl.create_default_context(cafile=str(d.cafile))
        with imaplib.IMAP4_SSL("127.0.0.1", d.imaps_port, ssl_context=ctx) as c:
            c.login("a@x.test", "pw")
            print(c.list())
            print(c.select("INBOX"), c.fetch("1", "(FLAGS BODY[])"))
