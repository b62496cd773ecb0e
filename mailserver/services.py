"""Wire the mail services of one node from its settings (used by `mssante serve`, the CLI
and the tests): engine, store, accounts, logins, trust space, patient rules, delivery."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

import directory
from config import Settings
from config.loader import database_url
from crypto import Argon2Params, load_master_key
from mailserver.accounts import AccountService
from mailserver.auth import Authenticator, Login
from mailserver.delivery import DeliveryService
from mailserver.mailbox import Mailbox, open_mailbox
from mailserver.policy import PatientRules
from mailserver.store import (
    AccountInfo,
    ChangeBus,
    Store,
    create_engine,
    is_sqlite,
    session_factory,
)
from mailserver.store.pgnotify import PgNotifier
from mailserver.trust import TrustSpace, load_trust_list, trust_list_path

AddressCheck = Callable[[str], Awaitable[bool]]


@dataclass
class MailServices:
    settings: Settings
    engine: AsyncEngine
    store: Store
    accounts: AccountService
    auth: Authenticator
    trust: TrustSpace
    patients: PatientRules
    delivery: DeliveryService
    master_key: bytes
    # Is this professional address known to the national directory? (None: don't check)
    directory_check: AddressCheck | None = None
    pg_notifier: PgNotifier | None = None

    def open_mailbox(self, login: Login) -> Mailbox:
        """The one way a front end reaches mail: the mailbox of the account this login
        unlocked (IMAP sessions and webmail requests alike)."""
        return open_mailbox(self.store, login.account, login.key)

    def is_local(self, address: str) -> bool:
        return self.trust.is_local(address.rpartition("@")[2])

    async def close(self) -> None:
        self.auth.close()
        await self.delivery.close()
        if self.pg_notifier is not None:
            await self.pg_notifier.close()
        self.store.close()
        await self.engine.dispose()


def argon2_params(settings: Settings) -> Argon2Params:
    a = settings.argon2
    return Argon2Params(time_cost=a.time_cost, memory_kib=a.memory_kib,
                        parallelism=a.parallelism)


async def build_services(settings: Settings, *, bus: ChangeBus | None = None,
                         cross_node: bool = False) -> MailServices:
    """Wire the services. `cross_node` (for `serve`) forwards change events between nodes
    sharing a PostgreSQL database, so IDLE on one node wakes for a delivery on another."""
    url = database_url(settings)
    engine = create_engine(url, pool_size=settings.database.pool_size)
    store = Store(session_factory(engine), bus)
    master_key = load_master_key(settings.keys.master_key)
    params = argon2_params(settings)
    patients = PatientRules(store, master_key, settings.server.patient_domain)
    trust = TrustSpace(load_trust_list(trust_list_path(settings)), settings.local_domains)
    services = MailServices(
        settings=settings, engine=engine, store=store,
        accounts=AccountService(store, master_key=master_key, argon2=params,
                                patient_domain=settings.server.patient_domain),
        auth=Authenticator(store, settings.auth, master_key=master_key, argon2=params),
        trust=trust, patients=patients,
        delivery=DeliveryService(store, secret=master_key, patient_rules=patients),
        master_key=master_key)
    services.accounts.on_credentials = services.auth.forget
    _wire_directory(services)
    if cross_node and not is_sqlite(url):
        services.pg_notifier = PgNotifier(url, store.bus)
        await services.pg_notifier.start()
    return services


def _wire_directory(services: MailServices) -> None:
    """Publish local mailboxes to the directory and let policy look addresses up there."""
    store = services.store

    async def on_change(info: AccountInfo) -> None:
        async with store.write() as s:
            if info.kind in ("PATIENT", "ADMIN") or info.liste_rouge or info.state != "active":
                await directory.unpublish_local_mailbox(s, info.address)
            else:
                await directory.publish_local_mailbox(s, directory.LocalMailbox(
                    address=info.address, kind=info.kind, display_name=info.display_name,
                    national_id=_idnat(info), liste_rouge=info.liste_rouge))

    services.accounts.on_change = on_change
    if services.settings.directory.refuse_unknown_professionals:
        async def check(address: str) -> bool:
            async with store.read() as s:
                return await directory.address_known(s, address)

        services.directory_check = check


# National identifier prefixes (domain.md §8.1): idNatPS = 8+RPPS or 0+ADELI,
# idNatStruct = 1+FINESS or 3+SIRET.
_IDNAT_PREFIX = {"RPPS": "8", "ADELI": "0", "FINESS": "1", "SIRET": "3"}


def _idnat(info: AccountInfo) -> str:
    if not info.national_id or info.national_id_type not in _IDNAT_PREFIX:
        return ""
    return _IDNAT_PREFIX[info.national_id_type] + info.national_id
