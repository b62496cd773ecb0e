"""One search interface over SQLite (FTS5) and PostgreSQL (GIN full text).

Every query token must match the start of a word of the entry (names, organisation, service,
profession and specialty labels, city, postcode), accents and case ignored. Ranking: the exact
name first, then names starting with the first token, then the rest; ties by name then id, so
paging with ``offset``/``limit`` is stable. (For a single word, "exact name first" follows from
the name order: "martin anne" sorts before "martineau".)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from directory.models import ENTRY_ACTIVITY, ENTRY_MAILBOX
from directory.normalize import norm, prefix_upper_bound, tokens

MAX_LIMIT = 100
MAX_TOKENS = 8

SessionOrFactory = AsyncSession | async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    profession: str | None = None  # profession code, e.g. "10" (médecin)
    specialty: str | None = None  # savoir-faire code, e.g. "SM04"
    postcode: str | None = None  # exact, or a prefix when shorter than 5 characters
    department: str | None = None  # "75", "2A", "974"
    kind: str | None = None  # mailbox kind PER/ORG/APP/CAB: only mailboxes of that kind
    organisation: str | None = None  # FINESS, SIRET, SIREN or national structure id
    entry_type: str | None = None  # "practitioner" or "mailbox"
    national_id: str | None = None  # one practitioner (8+RPPS or 0+ADELI)
    limit: int = 20
    offset: int = 0
    # when set, only these mailboxes (and the practitioners owning them) are visible
    visible_addresses: frozenset[str] | None = None


@dataclass(frozen=True)
class MailboxRef:
    address: str
    kind: str


@dataclass(frozen=True)
class SearchHit:
    id: int
    entry_type: str  # "practitioner" (an activity) or "mailbox"
    name: str
    national_id: str
    civility: str
    family: str
    given: str
    profession_code: str
    profession: str
    specialty_code: str
    specialty: str
    organisation: str
    organisation_id: str
    service: str
    address_line: str
    postcode: str
    city: str
    department: str
    mailboxes: tuple[MailboxRef, ...] = ()


@dataclass(frozen=True)
class SearchPage:
    query: SearchQuery
    hits: list[SearchHit] = field(default_factory=list)
    has_more: bool = False

    @property
    def next_offset(self) -> int | None:
        return self.query.offset + len(self.hits) if self.has_more else None


ENTRY_TYPES = {"practitioner": ENTRY_ACTIVITY, "mailbox": ENTRY_MAILBOX}
_TYPE_NAMES = {v: k for k, v in ENTRY_TYPES.items()}

_HIT_COLUMNS = ("id", "entry_type", "national_id", "civility", "family", "given",
                "display_name", "profession_code", "profession_label", "specialty_code",
                "specialty_label", "org_name", "trade_name", "org_id", "service",
                "address_line", "postcode", "city", "department", "address", "mailbox_kind")
_HIT_SELECT = ", ".join(f"e.{c}" for c in _HIT_COLUMNS)


def _match_expression(dialect: str, toks: Sequence[str]) -> str:
    if dialect == "sqlite":
        return " AND ".join(f'"{t}"*' for t in toks)
    return " & ".join(f"{t}:*" for t in toks)


def in_list(prefix: str, values: Sequence[object], params: dict[str, Any]) -> str:
    """``(:p0, :p1, …)`` with the values put in ``params``; ``(NULL)`` (matches none) if empty."""
    names = []
    for i, v in enumerate(values):
        params[f"{prefix}{i}"] = v
        names.append(f":{prefix}{i}")
    return "(" + ", ".join(names) + ")" if names else "(NULL)"


def text_condition(dialect: str, toks: Sequence[str], params: dict[str, Any],
                   name: str = "match") -> str:
    """A WHERE condition on ``e`` (dir_entry) requiring every token as a word prefix."""
    params[name] = _match_expression(dialect, toks)
    if dialect == "sqlite":
        return f"e.id IN (SELECT rowid FROM dir_entry_fts WHERE dir_entry_fts MATCH :{name})"
    return (f"to_tsvector('simple'::regconfig, e.search_text) @@ "
            f"to_tsquery('simple'::regconfig, :{name})")


_VISIBLE_COLUMNS = ("national_id", "org_id")


async def visible_values(session: AsyncSession, addresses: frozenset[str],
                         column: str) -> list[str]:
    """The distinct non-empty ``column`` (national_id or org_id) of these mailboxes."""
    if column not in _VISIBLE_COLUMNS:
        raise ValueError(f"column must be one of {', '.join(_VISIBLE_COLUMNS)}")
    if not addresses:
        return []
    params: dict[str, Any] = {}
    keys = in_list("k", [f"M:{a.lower()}" for a in sorted(addresses)], params)
    rows = await session.execute(text(
        f"SELECT DISTINCT {column} FROM dir_entry WHERE entry_key IN {keys} "
        f"AND {column} <> ''"), params)
    return [r[0] for r in rows]


async def visible_people(session: AsyncSession, addresses: frozenset[str]) -> list[str]:
    """The national ids of the practitioners owning these mailboxes."""
    return await visible_values(session, addresses, "national_id")


async def _where(session: AsyncSession, q: SearchQuery, params: dict[str, Any]) -> list[str]:
    where = ["e.liste_rouge = :false"]
    params["false"] = False
    if q.profession:
        where.append("e.profession_code = :profession")
        params["profession"] = q.profession.strip()
    if q.specialty:
        where.append("e.specialty_code = :specialty")
        params["specialty"] = q.specialty.strip().upper()
    if q.postcode:
        pc = q.postcode.strip()
        if len(pc) >= 5:
            where.append("e.postcode = :postcode")
            params["postcode"] = pc
        else:
            where.append("e.postcode >= :pc_lo AND e.postcode < :pc_hi")
            params["pc_lo"], params["pc_hi"] = pc, pc + "~"
    if q.department:
        where.append("e.department = :department")
        params["department"] = q.department.strip().upper()
    if q.kind:
        where.append("e.entry_type = 'M' AND e.mailbox_kind = :kind")
        params["kind"] = q.kind.strip().upper()
    if q.organisation:
        org = q.organisation.strip()
        variants = [org, "1" + org, "2" + org, "3" + org]
        where.append(f"e.org_id IN {in_list('org', variants, params)}")
    if q.national_id:
        where.append("e.national_id = :national_id")
        params["national_id"] = q.national_id.strip()
    if q.entry_type:
        if q.entry_type not in ENTRY_TYPES:
            raise ValueError(f"entry_type must be one of {', '.join(ENTRY_TYPES)}")
        where.append("e.entry_type = :etype")
        params["etype"] = ENTRY_TYPES[q.entry_type]
    if not q.kind and not q.entry_type:
        # a person's own mailbox is shown on their activities, not as a second hit
        where.append("NOT (e.entry_type = 'M' AND e.mailbox_kind IN ('PER', 'CAB') AND "
                     "e.national_id <> '' AND EXISTS (SELECT 1 FROM dir_practitioner p "
                     "WHERE p.national_id = e.national_id))")
    if q.visible_addresses is not None:
        keys = in_list("vk", [f"M:{a.lower()}" for a in sorted(q.visible_addresses)], params)
        people = await visible_people(session, q.visible_addresses)
        where.append(f"(e.entry_key IN {keys} OR (e.entry_type = 'A' AND e.national_id IN "
                     f"{in_list('vp', people, params)}))")
    return where


def _hit(row: Any, mailboxes: dict[str, list[MailboxRef]],
         visible: frozenset[str] | None) -> SearchHit:
    m = row._mapping
    name = " ".join(p for p in (m["given"], m["family"]) if p) or m["display_name"] or " — ".join(
        p for p in (m["service"], m["org_name"] or m["trade_name"]) if p)
    own: tuple[MailboxRef, ...]
    if m["entry_type"] == ENTRY_MAILBOX:
        own = (MailboxRef(m["address"], m["mailbox_kind"]),)
    else:
        own = tuple(mb for mb in mailboxes.get(m["national_id"], [])
                    if visible is None or mb.address in visible)
    return SearchHit(
        id=m["id"], entry_type=_TYPE_NAMES[m["entry_type"]], name=name,
        national_id=m["national_id"], civility=m["civility"], family=m["family"],
        given=m["given"], profession_code=m["profession_code"],
        profession=m["profession_label"], specialty_code=m["specialty_code"],
        specialty=m["specialty_label"], organisation=m["org_name"] or m["trade_name"],
        organisation_id=m["org_id"], service=m["service"], address_line=m["address_line"],
        postcode=m["postcode"], city=m["city"], department=m["department"], mailboxes=own)


async def _person_mailboxes(session: AsyncSession, ids: Sequence[str]
                            ) -> dict[str, list[MailboxRef]]:
    out: dict[str, list[MailboxRef]] = {}
    if not ids:
        return out
    params: dict[str, Any] = {"false": False}
    rows = await session.execute(text(
        "SELECT national_id, address, mailbox_kind FROM dir_entry WHERE entry_type = 'M' "
        f"AND liste_rouge = :false AND national_id IN {in_list('n', sorted(set(ids)), params)} "
        "ORDER BY address"), params)
    for nat, address, kind in rows:
        out.setdefault(nat, []).append(MailboxRef(address, kind))
    return out


async def _search(session: AsyncSession, q: SearchQuery) -> SearchPage:
    limit = max(1, min(int(q.limit), MAX_LIMIT))
    offset = max(0, int(q.offset))
    params: dict[str, Any] = {"limit": limit + 1, "offset": offset}
    where = await _where(session, q, params)
    toks = tokens(q.text)[:MAX_TOKENS]
    dialect = session.bind.dialect.name
    if toks:
        params["qn"] = norm(q.text)
        params["t0"] = toks[0]
        params["t0len"] = len(toks[0])
        rank = ("CASE WHEN e.family_norm = :qn OR e.org_norm = :qn OR e.sort_key = :qn "
                "OR (e.given_norm || ' ' || e.family_norm) = :qn THEN 0 "
                "WHEN substr(e.family_norm, 1, :t0len) = :t0 "
                "OR substr(e.org_norm, 1, :t0len) = :t0 THEN 1 ELSE 2 END")
        if dialect == "sqlite":
            # CROSS JOIN pins the order: the full-text match drives, the filters follow
            source = "dir_entry_fts CROSS JOIN dir_entry e ON e.id = dir_entry_fts.rowid"
            params["match"] = _match_expression(dialect, toks)
            where.insert(0, "dir_entry_fts MATCH :match")
        else:
            source = "dir_entry e"
            where.insert(0, text_condition(dialect, toks, params))
        order = f"{rank}, e.sort_key, e.id"
    else:
        source = "dir_entry e"
        order = "e.sort_key, e.id"
    rows: Sequence[Row[Any]] | None = None
    if len(toks) == 1:
        # One word: rank is "name starts with it" first, then the rest, each by name. The
        # first group is an index range on sort_key, so a page inside it never needs the
        # (possibly huge) set of every full-text match to be sorted.
        params["lo"], params["hi"] = toks[0], prefix_upper_bound(toks[0])
        fast = where[1:] + ["e.sort_key >= :lo AND e.sort_key < :hi"]
        fast_params = dict(params, limit=offset + limit + 1, offset=0)
        # SQLite's planner would rather skip-scan a filter index and sort: pin the name index
        hint = " INDEXED BY ix_dir_entry_sort_key" if dialect == "sqlite" else ""
        found = (await session.execute(text(
            f"SELECT {_HIT_SELECT} FROM dir_entry e{hint} WHERE {' AND '.join(fast)} "
            "ORDER BY e.sort_key, e.id LIMIT :limit OFFSET :offset"), fast_params)).all()
        if len(found) > offset + limit:
            rows = found[offset:]
        else:
            order = ("CASE WHEN e.sort_key >= :lo AND e.sort_key < :hi THEN 0 ELSE 1 END, "
                     "e.sort_key, e.id")
    if rows is None:
        sql = (f"SELECT {_HIT_SELECT} FROM {source} WHERE {' AND '.join(where)} "
               f"ORDER BY {order} LIMIT :limit OFFSET :offset")
        rows = (await session.execute(text(sql), params)).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    people = [r._mapping["national_id"] for r in rows
              if r._mapping["entry_type"] == ENTRY_ACTIVITY and r._mapping["national_id"]]
    mailboxes = await _person_mailboxes(session, people)
    visible = (frozenset(a.lower() for a in q.visible_addresses)
               if q.visible_addresses is not None else None)
    hits = [_hit(r, mailboxes, visible) for r in rows]
    return SearchPage(query=q, hits=hits, has_more=has_more)


async def search(db: SessionOrFactory, query: SearchQuery) -> SearchPage:
    """Search the directory; ``db`` is a session or a session factory."""
    if isinstance(db, AsyncSession):
        return await _search(db, query)
    async with db() as session:
        return await _search(session, query)


async def address_known(session: AsyncSession, address: str) -> bool:
    """Is this secure address in the directory (national file or a published local mailbox)?"""
    row = await session.execute(text("SELECT 1 FROM dir_entry WHERE entry_key = :k"),
                                {"k": f"M:{address.strip().lower()}"})
    return row.first() is not None


@dataclass(frozen=True)
class DirectoryStats:
    practitioners: int
    activities: int
    mailboxes: dict[str, int]
    local_mailboxes: int

    @property
    def total_mailboxes(self) -> int:
        return sum(self.mailboxes.values())


async def stats(db: SessionOrFactory) -> DirectoryStats:
    if not isinstance(db, AsyncSession):
        async with db() as session:
            return await stats(session)
    session = db
    practitioners = (await session.execute(text("SELECT COUNT(*) FROM dir_practitioner"))
                     ).scalar_one()
    activities = (await session.execute(text(
        "SELECT COUNT(*) FROM dir_entry WHERE entry_type = 'A'"))).scalar_one()
    kinds = {k: int(n) for k, n in await session.execute(text(
        "SELECT mailbox_kind, COUNT(*) FROM dir_entry WHERE entry_type = 'M' "
        "GROUP BY mailbox_kind ORDER BY mailbox_kind"))}
    local = (await session.execute(text(
        "SELECT COUNT(*) FROM dir_entry WHERE source = 'local'"))).scalar_one()
    return DirectoryStats(int(practitioners), int(activities), kinds, int(local))
