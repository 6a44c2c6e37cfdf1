"""A user's transaction history: one line per ledger entry on their accounts."""

from __future__ import annotations

import base64
import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from app.models.ledger import LedgerAccount, LedgerEntry, LedgerTransaction
from app.services.errors import Invalid, NotAllowed
from app.services.ids import MAX_ID
from app.services.numbers import to_int
from app.services.payments.ledger import read_session

KINDS = ("signup_grant", "topup", "purchase", "refund", "subscription", "payout", "payout_reversal")


@dataclass(frozen=True)
class HistoryLine:
    id: int
    kind: str
    amount_cents: int
    account: str
    created_at: datetime
    memo: str

    def as_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "amount_cents": self.amount_cents, "account": self.account,
                "created_at": self.created_at.isoformat(), "memo": self.memo}


def check_can_view(viewer, user_id: int) -> None:
    if viewer is None or not (viewer.id == user_id or getattr(viewer, "is_admin", False)):
        raise NotAllowed("You can only see your own transactions.")


def parse_filters(kind: str | None, date_from: str | None, date_to: str | None) -> dict:
    """Validate the filters of the page and the API; dates are YYYY-MM-DD (UTC)."""
    filters: dict = {}
    if kind:
        if kind not in KINDS:
            raise Invalid("Unknown kind.", code="validation_failed", fields={"kind": f"One of {', '.join(KINDS)}."})
        filters["kind"] = kind
    for name, value, shift in (("from", date_from, 0), ("to", date_to, 1)):
        if value:
            try:
                day = date.fromisoformat(value)
            except ValueError:
                raise Invalid("Dates look like 2026-01-31.", code="validation_failed",
                              fields={name: "A date like 2026-01-31."}) from None
            filters[name] = datetime.combine(day, time.min, UTC) + timedelta(days=shift)
    return filters


def list_history(user_id: int, *, filters: dict | None = None, limit: int = 20,
                 cursor: str | None = None) -> tuple[list[HistoryLine], str | None]:
    """Newest first, keyset-paginated by entry id; `limit=None` for everything (CSV)."""
    filters = filters or {}
    query = (
        sa.select(LedgerEntry.id, LedgerTransaction.kind, LedgerEntry.amount_cents, LedgerAccount.kind.label("account"),
                  LedgerTransaction.created_at, LedgerTransaction.memo)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(LedgerAccount.user_id == user_id)
        .order_by(LedgerEntry.id.desc())
    )
    if "kind" in filters:
        query = query.where(LedgerTransaction.kind == filters["kind"])
    if "from" in filters:
        query = query.where(LedgerTransaction.created_at >= filters["from"])
    if "to" in filters:
        query = query.where(LedgerTransaction.created_at < filters["to"])
    if cursor:
        query = query.where(LedgerEntry.id < _decode(cursor))
    if limit is not None:
        query = query.limit(limit + 1)
    with read_session() as session:
        rows = session.execute(query).all()
    lines = [HistoryLine(r.id, r.kind, int(r.amount_cents), r.account, _aware(r.created_at), r.memo) for r in rows]
    next_cursor = None
    if limit is not None and len(lines) > limit:
        lines = lines[:limit]
        next_cursor = _encode(lines[-1].id)
    return lines, next_cursor


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _encode(entry_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"id": entry_id}).encode()).decode().rstrip("=")


def _decode(cursor: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        value = to_int(data["id"], minimum=1, maximum=MAX_ID, strings=False)
        if value is None:
            raise ValueError
        return value
    except (ValueError, KeyError, TypeError):
        raise Invalid("That cursor is not valid.", code="invalid_cursor") from None


def history_csv(lines: list[HistoryLine]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "created_at", "kind", "account", "amount_cents", "memo"])
    for line in lines:
        memo = line.memo
        if memo[:1] in ("=", "+", "-", "@"):
            memo = "'" + memo  # never a formula in a spreadsheet
        writer.writerow([line.id, line.created_at.isoformat(), line.kind, line.account, line.amount_cents, memo])
    return out.getvalue()
