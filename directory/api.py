"""HTTP API: ``GET /api/directory/search`` (JSON, OpenAPI) and FHIR R4 under ``/fhir/``.

``build_router(session_factory, authenticate)``: ``authenticate`` is the HTTP layer's async
dependency ``(request) -> Principal`` that raises ``HTTPException(401)`` for anonymous calls.
Patients only ever see the professionals of their own conversations.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from directory import fhir
from directory.principal import Principal, visible_addresses
from directory.search import MAX_LIMIT, SearchQuery, search

FHIR_JSON = "application/fhir+json"
Authenticate = Callable[..., Awaitable[Principal]]
Visible = frozenset[str] | None  # the addresses a caller may see; None: all of them


class MailboxModel(BaseModel):
    address: str = Field(description="Secure (MSSanté) address")
    kind: str = Field(description="Mailbox kind: PER, ORG, APP or CAB")


class HitModel(BaseModel):
    id: int
    type: str = Field(description="practitioner (an activity at a place) or mailbox")
    name: str
    national_id: str = Field(description="8+RPPS or 0+ADELI for people, else empty")
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
    mailboxes: list[MailboxModel]


class SearchResponse(BaseModel):
    offset: int
    limit: int
    has_more: bool
    next_offset: int | None
    hits: list[HitModel]


def _fhir_response(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=FHIR_JSON)


_ISSUE_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found",
                405: "not-supported", 422: "invalid"}


def fhir_error(status: int, diagnostics: str, headers: Mapping[str, str] | None = None
               ) -> JSONResponse:
    resp = _fhir_response(fhir.operation_outcome(_ISSUE_CODES.get(status, "exception"),
                                                 diagnostics), status)
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


class FhirRoute(APIRoute):
    """Routes whose errors (authentication included) come back as OperationOutcome."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def wrapped(request: Request) -> Response:
            try:
                return await handler(request)
            except HTTPException as exc:
                return fhir_error(exc.status_code, str(exc.detail), exc.headers)
            except RequestValidationError as exc:
                msgs = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}"
                                 for e in exc.errors())
                return fhir_error(400, msgs)

        return wrapped


def _page_links(request: Request, offset: int, count: int, has_more: bool) -> dict[str, str]:
    base = str(request.url.replace(query=""))
    params = [(k, v) for k, v in request.query_params.multi_items()
              if k not in ("_offset", "_count")]

    def url(off: int) -> str:
        return base + "?" + urlencode(params + [("_count", str(count)), ("_offset", str(off))])

    links = {"self": url(offset)}
    if has_more:
        links["next"] = url(offset + count)
    if offset > 0:
        links["previous"] = url(max(0, offset - count))
    return links


def _fhir_base(request: Request) -> str:
    return str(request.url.replace(query="", path=request.scope.get("root_path", "") + "/fhir"))


@dataclasses.dataclass(frozen=True)
class _Deps:
    """The two dependencies every route takes: a database session and what the caller sees."""

    session: Any  # Depends(...) of an async generator of AsyncSession
    visible: Any  # Depends(...) of the caller's visible addresses


def build_router(session_factory: async_sessionmaker[AsyncSession],
                 authenticate: Authenticate) -> APIRouter:
    """The directory's routes, to be included in the HTTP listener's FastAPI app."""

    async def session() -> Any:
        async with session_factory() as s:
            yield s

    async def caller_visible(principal: Principal = Depends(authenticate)) -> Visible:
        return await visible_addresses(principal)

    deps = _Deps(session=Depends(session), visible=Depends(caller_visible))
    fh = APIRouter(prefix="/fhir", tags=["fhir"], route_class=FhirRoute)
    _fhir_read_routes(fh, deps)
    _fhir_search_routes(fh, deps)
    router = APIRouter()
    router.include_router(_json_routes(deps))
    router.include_router(fh)
    return router


def _json_routes(deps: _Deps) -> APIRouter:
    """Plain JSON search of practitioners and secure mailboxes."""
    api = APIRouter(tags=["directory"])

    @api.get("/api/directory/search", response_model=SearchResponse,
             summary="Search practitioners and secure mailboxes")
    async def search_json(
        q: str = Query("", description="Free text: names, organisation, city, specialty…"),
        profession: str | None = Query(None, description="Profession code, e.g. 10"),
        specialty: str | None = Query(None, description="Savoir-faire code, e.g. SM04"),
        postcode: str | None = Query(None, description="Postcode (or its first digits)"),
        department: str | None = Query(None, description="Département code, e.g. 75, 2A"),
        kind: str | None = Query(None, pattern="^(PER|ORG|APP|CAB)$"),
        organisation: str | None = Query(None, description="FINESS, SIRET, SIREN or id"),
        type: str | None = Query(None, pattern="^(practitioner|mailbox)$"),
        limit: int = Query(20, ge=1, le=MAX_LIMIT),
        offset: int = Query(0, ge=0, le=100_000),
        visible: Visible = deps.visible,
        db: AsyncSession = deps.session,
    ) -> SearchResponse:
        page = await search(db, SearchQuery(
            text=q, profession=profession, specialty=specialty, postcode=postcode,
            department=department, kind=kind, organisation=organisation, entry_type=type,
            limit=limit, offset=offset, visible_addresses=visible))
        return SearchResponse(
            offset=offset, limit=limit, has_more=page.has_more, next_offset=page.next_offset,
            hits=[HitModel.model_validate({**dataclasses.asdict(h), "type": h.entry_type})
                  for h in page.hits])

    return api


def _fhir_read_routes(fh: APIRouter, deps: _Deps) -> None:
    """FHIR read by id: Practitioner, PractitionerRole, Organization."""

    async def read(kind: str, reader: Any, rid: str, visible: Visible,
                   db: AsyncSession) -> Response:
        res = await reader(db, rid, visible)
        if res is None:
            return fhir_error(404, f"{kind}/{rid} not found")
        return _fhir_response(res)

    @fh.get("/Practitioner/{rid}", summary="Read a Practitioner (id: 8+RPPS or 0+ADELI)")
    async def read_practitioner(rid: str, visible: Visible = deps.visible,
                                db: AsyncSession = deps.session) -> Response:
        return await read("Practitioner", fhir.read_practitioner, rid, visible, db)

    @fh.get("/PractitionerRole/{rid}", summary="Read a PractitionerRole")
    async def read_role(rid: str, visible: Visible = deps.visible,
                        db: AsyncSession = deps.session) -> Response:
        return await read("PractitionerRole", fhir.read_role, rid, visible, db)

    @fh.get("/Organization/{rid}", summary="Read an Organization (id: national structure id)")
    async def read_org(rid: str, visible: Visible = deps.visible,
                       db: AsyncSession = deps.session) -> Response:
        return await read("Organization", fhir.read_organization, rid, visible, db)


_COUNT = Query(20, alias="_count", ge=1, le=MAX_LIMIT)
_OFFSET = Query(0, alias="_offset", ge=0, le=100_000)
_POSTCODE = Query("", alias="address-postalcode")


def _fhir_search_routes(fh: APIRouter, deps: _Deps) -> None:
    """FHIR search of each resource type, answered as a paged searchset Bundle."""

    @fh.get("/Practitioner", summary="Search Practitioner")
    async def search_practitioner(
        request: Request, name: str = "", family: str = "", given: str = "",
        identifier: str = "", count: int = _COUNT, offset: int = _OFFSET,
        visible: Visible = deps.visible, db: AsyncSession = deps.session,
    ) -> Response:
        found, more = await fhir.search_practitioners(
            db, name=name, family=family, given=given, identifier=identifier, count=count,
            offset=offset, visible=visible)
        return _fhir_response(fhir.bundle(_fhir_base(request), found,
                                          _page_links(request, offset, count, more)))

    @fh.get("/PractitionerRole", summary="Search PractitionerRole")
    async def search_role(
        request: Request, practitioner: str = "", organization: str = "", role: str = "",
        specialty: str = "", name: str = "", count: int = _COUNT, offset: int = _OFFSET,
        address_postalcode: str = _POSTCODE,
        visible: Visible = deps.visible, db: AsyncSession = deps.session,
    ) -> Response:
        page = await search(db, SearchQuery(
            text=name, profession=role.split("|")[-1] or None,
            specialty=specialty.split("|")[-1] or None,
            organisation=organization.removeprefix("Organization/") or None,
            national_id=practitioner.removeprefix("Practitioner/") or None,
            postcode=address_postalcode or None, entry_type="practitioner", limit=count,
            offset=offset, visible_addresses=visible))
        resources = await fhir.roles_of_page(db, [hit.id for hit in page.hits], visible)
        return _fhir_response(fhir.bundle(_fhir_base(request), resources,
                                          _page_links(request, offset, count, page.has_more)))

    @fh.get("/Organization", summary="Search Organization")
    async def search_org(
        request: Request, name: str = "", identifier: str = "", count: int = _COUNT,
        offset: int = _OFFSET, address_postalcode: str = _POSTCODE,
        visible: Visible = deps.visible, db: AsyncSession = deps.session,
    ) -> Response:
        found, more = await fhir.search_organizations(
            db, name=name, identifier=identifier, postcode=address_postalcode, count=count,
            offset=offset, visible=visible)
        return _fhir_response(fhir.bundle(_fhir_base(request), found,
                                          _page_links(request, offset, count, more)))
