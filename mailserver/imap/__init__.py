"""IMAP server for mssante: ``start_imap(services) -> ImapServers`` (see ``server``)."""

from .server import ImapServers, start_imap

__all__ = ["ImapServers", "start_imap"]
