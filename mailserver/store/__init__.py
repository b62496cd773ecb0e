"""The mail store: typed records, the Store API, change events, engines and migrations."""

from mailserver.store.engine import create_engine, is_sqlite, session_factory
from mailserver.store.events import (
    ChangeBus,
    ChangeEvent,
    FlagsChanged,
    FolderChanged,
    MessageAdded,
    MessagesExpunged,
    Subscription,
)
from mailserver.store.models import new_id
from mailserver.store.records import (
    ACCOUNT_KINDS,
    AccountInfo,
    AlreadyExists,
    FolderCounts,
    FolderInfo,
    MessageMeta,
    NotFound,
    QueueInfo,
    StoreError,
    copy_aad,
)
from mailserver.store.store import Store

__all__ = [
    "ACCOUNT_KINDS",
    "AccountInfo",
    "AlreadyExists",
    "ChangeBus",
    "ChangeEvent",
    "FlagsChanged",
    "FolderChanged",
    "FolderCounts",
    "FolderInfo",
    "MessageAdded",
    "MessageMeta",
    "MessagesExpunged",
    "NotFound",
    "QueueInfo",
    "Store",
    "StoreError",
    "Subscription",
    "copy_aad",
    "create_engine",
    "is_sqlite",
    "new_id",
    "session_factory",
]
