"""API tokens: a role, and for partner tokens the partner they see."""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from tracker.domain.catalog._shared import _NS, _choice, stable_topics
from tracker.domain.catalog.vocabulary import TOKEN_ROLES
from tracker.domain.errors import DomainError


@stable_topics
class ApiToken(Aggregate):
    """Only the SHA-256 of the token is ever stored."""

    @staticmethod
    def create_id(token_hash: str) -> UUID:
        return uuid5(_NS, f"token/{token_hash}")

    @event("Issued")
    def __init__(self, token_hash: str, role: str, partner_id: str | None, label: str) -> None:
        self.token_hash = token_hash
        self.role = role
        self.partner_id = partner_id
        self.label = label
        self.revoked = False

    @classmethod
    def issue(cls, *, token_hash: str, role: str, partner_id: str | None, label: str) -> ApiToken:
        _choice("role", role, TOKEN_ROLES)
        if role == "partner" and not partner_id:
            raise DomainError("partner_id", "a partner token names its partner")
        if role != "partner":
            partner_id = None
        return cls(token_hash=token_hash, role=role, partner_id=partner_id, label=label)

    @event("Revoked")
    def revoke(self) -> None:
        self.revoked = True


# Shown as <hidden> by the event history (GET /api/v1/events): a viewer reads the history.
ApiToken.Issued.hidden_fields = ("token_hash",)  # type: ignore[attr-defined]
