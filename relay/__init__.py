"""Outbound delivery to other operators: the queue worker, routing by the trust list, SMTP
client with mutual TLS, DKIM signing, retries and DSNs. ``mssante serve`` starts it with
``start_relay(services)``."""

from __future__ import annotations

from mailserver.services import MailServices
from relay.worker import RelayWorker


async def start_relay(services: MailServices) -> RelayWorker:
    worker = RelayWorker(services)
    await worker.start()
    return worker


__all__ = ["RelayWorker", "start_relay"]
