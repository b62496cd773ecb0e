"""Policy decisions shared by the protocols: recipient routing (typed decisions, turned into
replies by each protocol) and the patient messaging rules (design brief §6)."""

from mailserver.policy.patient import PatientRules
from mailserver.policy.routing import (
    Decision,
    LocalDelivery,
    RecipientRouter,
    Refusal,
    RefusalReason,
    Relay,
)

__all__ = ["Decision", "LocalDelivery", "PatientRules", "RecipientRouter", "Refusal",
           "RefusalReason", "Relay"]
