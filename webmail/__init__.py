"""The web front end (patients and professionals): HTTP app, templates, static files."""

from webmail.app import create_app

__all__ = ["create_app"]
