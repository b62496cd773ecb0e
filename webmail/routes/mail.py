"""Reading mail: folders, conversations, a message's sandboxed HTML and its attachments.

Every id in a URL is looked up through the logged-in account's mailbox: another
account's id is simply not found (404, never 403, so existence does not leak).
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from mailserver.mailbox import Mailbox
from mailserver.store import FolderInfo, MessageMeta, NotFound
from webmail import conversations as conv
from webmail.deps import WebContext, require_csrf, require_user, web
from webmail.reading import PREVIEW_TYPES, part_bytes, read, sanitized_html
from webmail.replies import Sent, may_answer, send_reply
from webmail.sessions import WebUser
from webmail.templating import render

router = APIRouter(include_in_schema=False)

# The message frame: nothing runs, nothing loads but the data: images we inlined.
FRAME_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
             "frame-ancestors 'self'; base-uri 'none'; form-action 'none'")
PREVIEW_CSP = "default-src 'none'; img-src 'self'; object-src 'self'; frame-ancestors 'self'"
HIDDEN_FROM_THREADS = ("\\Trash", "\\Junk")
FLAG_ACTIONS = {"read": ("add", "\\Seen"), "unread": ("remove", "\\Seen"),
                "flag": ("add", "\\Flagged"), "unflag": ("remove", "\\Flagged")}


def mailbox_of(ctx: WebContext, user: WebUser) -> Mailbox:
    return ctx.services.open_mailbox(user.login)


async def _copy(mailbox: Mailbox, copy_id: str) -> tuple[MessageMeta, FolderInfo]:
    meta = await mailbox.find(copy_id)
    folder = await conv.folder_of(mailbox, meta) if meta is not None else None
    if meta is None or folder is None:
        raise HTTPException(404)
    return meta, folder


def folder_url(folder: FolderInfo) -> str:
    return "/mail/" + quote(folder.name, safe="")


async def show_folder(request: Request, ctx: WebContext, user: WebUser, name: str,
                      page: int) -> Response:
    mailbox = mailbox_of(ctx, user)
    folder = await conv.folder_by_name(mailbox, name)
    if folder is None:
        raise HTTPException(404)
    listing = await conv.conversations(mailbox, folder, page)
    return render(request, "mail.html", {
        "nav": "mail", "folders": await conv.folders(mailbox), "folder": folder,
        "listing": listing, "folder_url": folder_url,
        "is_patient": user.login.account.is_patient})


@router.get("/mail/{name:path}")
async def folder_page(request: Request, name: str, page: int = 1,
                      user: WebUser = Depends(require_user),
                      ctx: WebContext = Depends(web)) -> Response:
    return await show_folder(request, ctx, user, name, page)


@router.get("/conversation/{copy_id}")
async def conversation_page(request: Request, copy_id: str, sent: bool = False,
                            user: WebUser = Depends(require_user),
                            ctx: WebContext = Depends(web)) -> Response:
    return await show_conversation(request, ctx, user, copy_id, {"sent": sent})


@router.post("/conversation/{copy_id}/reply")
async def reply(request: Request, copy_id: str, text: str = Form(""),
                to_all: bool = Form(False), user: WebUser = Depends(require_csrf),
                ctx: WebContext = Depends(web)) -> Response:
    """Answer one message; the server decides who may be answered, whatever the form says."""
    mailbox = mailbox_of(ctx, user)
    meta, _ = await _copy(mailbox, copy_id)
    outcome = await send_reply(ctx.services, user.login, await mailbox.read_message(meta),
                               text, to_all)
    if isinstance(outcome, Sent):
        return RedirectResponse(f"/conversation/{copy_id}?sent=1", status_code=303)
    return await show_conversation(request, ctx, user, copy_id,
                                   {"refused": outcome, "draft": text}, status_code=422)


async def show_conversation(request: Request, ctx: WebContext, user: WebUser, copy_id: str,
                            extra: dict[str, object], status_code: int = 200) -> Response:
    mailbox = mailbox_of(ctx, user)
    meta, folder = await _copy(mailbox, copy_id)
    folders = {f.id: f for f in await mailbox.list_folders()}
    metas = [m for m in await conv.thread_of(mailbox, meta)
             if m.id == meta.id or folders.get(m.folder_id) is None
             or folders[m.folder_id].special_use not in HIDDEN_FROM_THREADS]
    raws = await mailbox.read_messages([m.id for m in metas])
    messages = [(m, read(raws[m.id]), folders.get(m.folder_id)) for m in metas if m.id in raws]
    await _mark_seen(mailbox, folders, metas)
    last = messages[-1][1].summary if messages else None
    ended_by = next((r.summary.sender for _, r, _ in reversed(messages)
                     if r.summary.ends_conversation), None)
    # The answer goes to the newest message someone else wrote, if the policy allows it.
    mine = user.login.account.address
    target = next(((m, r) for m, r, _ in reversed(messages)
                   if r.summary.sender is None or r.summary.sender.address != mine), None)
    answerable = None
    if target is not None and await may_answer(ctx.services, user.login, raws[target[0].id]):
        answerable = target
    return render(request, "conversation.html", {
        "nav": "mail", "folder": folder, "messages": messages, "folder_url": folder_url,
        "subject": last.subject if last else "", "ended_by": ended_by,
        "is_patient": user.login.account.is_patient, "answerable": answerable,
        "refused": (), "draft": "", "sent": False, **extra}, status_code=status_code)


async def _mark_seen(mailbox: Mailbox, folders: dict[int, FolderInfo],
                     metas: list[MessageMeta]) -> None:
    unseen: dict[int, list[int]] = {}
    for m in metas:
        if "\\Seen" not in m.flags:
            unseen.setdefault(m.folder_id, []).append(m.uid)
    for folder_id, uids in unseen.items():
        folder = folders.get(folder_id)
        if folder is not None:
            await mailbox.store_flags(folder, uids, "add", ["\\Seen"])


@router.get("/messages/{copy_id}/html")
async def message_html(copy_id: str, user: WebUser = Depends(require_user),
                       ctx: WebContext = Depends(web)) -> Response:
    mailbox = mailbox_of(ctx, user)
    meta, _ = await _copy(mailbox, copy_id)
    html = sanitized_html(await mailbox.read_message(meta))
    if html is None:
        raise HTTPException(404)
    page = ('<!doctype html><html><head><meta charset="utf-8">'
            '<meta name="referrer" content="no-referrer"></head><body>'
            f"{html}</body></html>")
    return Response(page, media_type="text/html; charset=utf-8", headers={
        "content-security-policy": FRAME_CSP, "x-frame-options": "SAMEORIGIN"})


@router.get("/messages/{copy_id}/parts/{index}")
async def message_part(copy_id: str, index: int, view: bool = False,
                       user: WebUser = Depends(require_user),
                       ctx: WebContext = Depends(web)) -> Response:
    mailbox = mailbox_of(ctx, user)
    meta, _ = await _copy(mailbox, copy_id)
    found = part_bytes(await mailbox.read_message(meta), index)
    if found is None:
        raise HTTPException(404)
    attachment, content = found
    inline = view and attachment.content_type in PREVIEW_TYPES
    # Our type, never the sender's for anything active (HTML, SVG, XML...).
    media_type = attachment.content_type if inline else "application/octet-stream"
    disposition = "inline" if inline else "attachment"
    headers = {"content-disposition": f"{disposition}; filename*=UTF-8''"
                                      f"{quote(attachment.filename, safe='')}"}
    if inline:
        headers["content-security-policy"] = PREVIEW_CSP
        headers["x-frame-options"] = "SAMEORIGIN"
    return Response(content, media_type=media_type, headers=headers)


@router.post("/messages/{copy_id}/flags")
async def change_flags(copy_id: str, action: str = Form(...),
                       user: WebUser = Depends(require_csrf),
                       ctx: WebContext = Depends(web)) -> Response:
    if action not in FLAG_ACTIONS:
        raise HTTPException(400, "unknown action")
    mailbox = mailbox_of(ctx, user)
    meta, folder = await _copy(mailbox, copy_id)
    mode, flag = FLAG_ACTIONS[action]
    await mailbox.store_flags(folder, [meta.uid], mode, [flag])
    target = folder_url(folder) if action == "unread" else f"/conversation/{copy_id}"
    return RedirectResponse(target, status_code=303)


@router.post("/messages/{copy_id}/trash")
async def trash(copy_id: str, user: WebUser = Depends(require_csrf),
                ctx: WebContext = Depends(web)) -> Response:
    """To Trash (recoverable); a copy already in Trash is deleted for good."""
    mailbox = mailbox_of(ctx, user)
    meta, folder = await _copy(mailbox, copy_id)
    if folder.special_use == "\\Trash":
        await mailbox.store_flags(folder, [meta.uid], "add", ["\\Deleted"])
        await mailbox.expunge(folder, [meta.uid])
    else:
        bin_ = next((f for f in await mailbox.list_folders() if f.special_use == "\\Trash"),
                    None)
        if bin_ is None:
            raise HTTPException(409, "no Trash folder")
        try:
            await mailbox.move(folder, [meta.uid], bin_)
        except NotFound:
            raise HTTPException(404) from None
    return RedirectResponse(folder_url(folder), status_code=303)
