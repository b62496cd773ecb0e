"""Command handlers, grouped by the protocol state they belong to (RFC 3501 §6).

Each handler is ``async (session, command) -> Tagged | None``; ``None`` means the handler
already answered (or the connection ended).  The dispatch table is in ``session.py``.
"""
