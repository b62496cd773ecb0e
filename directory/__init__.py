"""The practitioner directory: national files imported, searched, served as JSON and FHIR.

Imports only ``config`` and third-party libraries (architecture: mailserver -> directory).
"""

from directory.importer import (
    DirectoryImportError,
    FileReport,
    ImportReport,
    RejectedLine,
    import_files,
)
from directory.local import (
    LocalMailbox,
    NotPublishable,
    publish_local_mailbox,
    unpublish_local_mailbox,
)
from directory.models import Base
from directory.principal import Principal
from directory.schema import create_schema
from directory.search import (
    DirectoryStats,
    MailboxRef,
    SearchHit,
    SearchPage,
    SearchQuery,
    address_known,
    search,
    stats,
)

__all__ = [
    "Base",
    "DirectoryImportError",
    "DirectoryStats",
    "FileReport",
    "ImportReport",
    "LocalMailbox",
    "MailboxRef",
    "NotPublishable",
    "Principal",
    "RejectedLine",
    "SearchHit",
    "SearchPage",
    "SearchQuery",
    "address_known",
    "create_schema",
    "import_files",
    "publish_local_mailbox",
    "search",
    "stats",
    "unpublish_local_mailbox",
]
