"""Policy decisions shared by the protocols: patient messaging rules (design brief §6)."""

from mailserver.policy.patient import PatientRules

__all__ = ["PatientRules"]
