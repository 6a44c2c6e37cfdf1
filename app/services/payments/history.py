"""A user's transaction history: one line per ledger entry on their accounts.

A transaction keeps one memo for all its entries, written when it was made ("Bought “A
song”" for a purchase, whose entries are the buyer's and the seller's). The history says
each line from its own side instead: a sale is "Sold “A song” to Ann", the buyer's line
"Bought “A song” from Bob", with the item's and the other person's current names, read by id
from the purchase or subscription the transaction belongs to."""

from __future__ import annotations

import base64
import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from app.models.items import Item, Subscription
from app.models.ledger import LedgerAccount, LedgerEntry, LedgerTransaction, Purchase
from app.services.accounts import users_by_id
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
    item_id: int | None = None  # what a purchase or refund line is about (pages link it)
    counterpart_id: int | None = None  # the other person: seller, buyer, creator or subscriber

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
                  LedgerTransaction.created_at, LedgerTransaction.memo, LedgerTransaction.id.label("tx_id"),
                  LedgerTransaction.idempotency_key)
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
        lines = _described(session, rows)
    next_cursor = None
    if limit is not None and len(lines) > limit:
        lines = lines[:limit]
        next_cursor = _encode(lines[-1].id)
    return lines, next_cursor


@dataclass(frozen=True)
class _About:
    """What a purchase, refund or subscription transaction is about."""

    item_id: int | None
    title: str | None
    payer_id: int  # the buyer or subscriber
    payee_id: int  # the creator


def _described(session, rows) -> list[HistoryLine]:
    """The lines of `rows`, each memo said from the line's own side (see the module's docstring)."""
    about = _purchases_about(session, [r.tx_id for r in rows if r.kind in ("purchase", "refund")])
    about |= _subscriptions_about(session, {r.tx_id: r.idempotency_key for r in rows if r.kind == "subscription"})
    names = {uid: user.name for uid, user in users_by_id(
        {uid for a in about.values() for uid in (a.payer_id, a.payee_id)}).items()}
    lines = []
    for r in rows:
        amount, found = int(r.amount_cents), about.get(r.tx_id)
        memo, item_id, counterpart = r.memo, None, None
        if found is not None:
            counterpart = found.payee_id if _paid_by_line_owner(r.kind, amount) else found.payer_id
            memo = _memo(r.kind, amount, found, names.get(counterpart)) or memo
            item_id = found.item_id
        lines.append(HistoryLine(r.id, r.kind, amount, r.account, _aware(r.created_at), memo, item_id, counterpart))
    return lines


def _paid_by_line_owner(kind: str, amount: int) -> bool:
    """Whether the line's owner is the buyer or subscriber (they pay; a refund pays them back)."""
    return amount < 0 if kind != "refund" else amount > 0


def _memo(kind: str, amount: int, about: _About, name: str | None) -> str | None:
    title = f"“{about.title}”" if about.title else "an item"
    payer = _paid_by_line_owner(kind, amount)
    phrases = {
        ("purchase", True): (f"Bought {title}", "from"),
        ("purchase", False): (f"Sold {title}", "to"),
        ("refund", True): (f"Refund of {title}", "from"),
        ("refund", False): (f"Refunded {title}", "to"),
        ("subscription", True): ("Subscription", "to"),
        ("subscription", False): ("Subscription", "from"),
    }
    phrase, preposition = phrases.get((kind, payer), (None, None))
    if phrase is None:
        return None
    return f"{phrase} {preposition} {name}" if name else phrase


def _purchases_about(session, tx_ids: list[int]) -> dict[int, _About]:
    if not tx_ids:
        return {}
    rows = session.execute(
        sa.select(Purchase.transaction_id, Purchase.refund_transaction_id, Purchase.item_id, Purchase.buyer_id,
                  Purchase.creator_id, Item.title)
        .outerjoin(Item, Item.id == Purchase.item_id)
        .where(sa.or_(Purchase.transaction_id.in_(tx_ids), Purchase.refund_transaction_id.in_(tx_ids)))
    ).all()
    about = {}
    for row in rows:
        found = _About(row.item_id, row.title, row.buyer_id, row.creator_id)
        for tx_id in (row.transaction_id, row.refund_transaction_id):
            if tx_id is not None:
                about[tx_id] = found
    return about


def _subscriptions_about(session, keys: dict[int, str]) -> dict[int, _About]:
    """Subscription charges are keyed `subscription:<subscription id>:<period start>`."""
    sub_ids = {tx_id: to_int(key.split(":")[1], minimum=1, maximum=MAX_ID) for tx_id, key in keys.items()
               if key.count(":") >= 2}
    wanted = {s for s in sub_ids.values() if s is not None}
    if not wanted:
        return {}
    subs = {s.id: s for s in session.scalars(sa.select(Subscription).where(Subscription.id.in_(wanted)))}
    return {tx_id: _About(None, None, subs[s].subscriber_id, subs[s].creator_id)
            for tx_id, s in sub_ids.items() if s in subs}


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
