"""Jinja2 pages, autoescaped, with the i18n extension bound to each request's language.

The translations are passed in the render context (not installed on the shared
environment), so two requests in two languages never see each other's catalogue.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup

from webmail.i18n import LANGUAGE_NAMES, Language, translations

TEMPLATES = Path(__file__).parent / "templates"


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    return env


ENV = _environment()


def _newstyle(func: Callable[[str], str]) -> Callable[..., str]:
    """gettext for templates: the translation is trusted markup, the variables are not.
    Only a message given variables is %-formatted, so plain text may hold a bare "%"."""
    @pass_context
    def gettext(context: Context, message: str, **variables: Any) -> str:
        text = func(message)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables if variables else text
    return gettext


def _newstyle_plural(func: Callable[[str, str, int], str]) -> Callable[..., str]:
    @pass_context
    def ngettext(context: Context, singular: str, plural: str, n: int, **variables: Any) -> str:
        variables.setdefault("num", n)
        text = func(singular, plural, n)
        if context.eval_ctx.autoescape:
            return Markup(text) % variables
        return text % variables
    return ngettext


def gettext_for(language: Language) -> Callable[[str], str]:
    return translations(language).gettext


def render(request: Request, name: str, context: Mapping[str, Any] | None = None, *,
           status_code: int = 200, language: Language | None = None) -> HTMLResponse:
    lang: Language = language or getattr(request.state, "language", None) or Language.FR
    t = translations(lang)
    values: dict[str, Any] = {
        "request": request, "lang": lang.value, "languages": LANGUAGE_NAMES,
        "gettext": _newstyle(t.gettext), "ngettext": _newstyle_plural(t.ngettext),
        "user": getattr(request.state, "user", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
    }
    values["_"] = values["gettext"]
    values.update(context or {})
    return HTMLResponse(ENV.get_template(name).render(values), status_code=status_code)
