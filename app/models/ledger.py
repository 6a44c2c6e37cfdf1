"""The `items` bind: the money ledger, purchases and refund requests, payouts and top-ups.

Amounts are integer cents. A transaction's entries sum to zero. User accounts keep a cached
balance changed only in the transaction that writes their entries; system accounts are
derived from their entries (see docs/decisions.md, Payments)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models import ledger_functions
from app.models.base import ItemsModel, UTCDateTime, utcnow

USER_KINDS = ("credit", "earnings")
SYSTEM_KINDS = ("signup_grant", "stripe", "payouts", "platform_fees")


class LedgerAccount(ItemsModel):
    __tablename__ = "ledger_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "user:42:credit" or "system:stripe": the one key an account is found and created by.
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    balance_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("user_id IS NULL OR balance_cents >= 0", name="ck_ledger_user_nonneg"),
    )

    @property
    def is_system(self) -> bool:
        return self.user_id is None


class LedgerBalanceShard(ItemsModel):
    """Money received by a credit-only account (a seller's earnings), cached in one of a few
    rows per account so concurrent sales to one creator do not queue on a single row. The
    account's cached balance is `balance_cents` plus its shards; taking the account's lock
    folds the shards back into `balance_cents` (docs/decisions.md, Payments)."""

    __tablename__ = "ledger_balance_shards"

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_accounts.id"), primary_key=True,
                                            autoincrement=False)
    shard: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    balance_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class LedgerTransaction(ItemsModel):
    __tablename__ = "ledger_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32), index=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    memo: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class LedgerEntry(ItemsModel):
    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_transactions.id"), index=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_accounts.id"))
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)

    __table_args__ = (sa.Index("ix_ledger_entries_account_tx", "account_id", "transaction_id"),)


class Purchase(ItemsModel):
    __tablename__ = "purchases"

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(index=True)
    item_id: Mapped[int] = mapped_column(index=True)
    creator_id: Mapped[int] = mapped_column(index=True)
    price_cents: Mapped[int] = mapped_column(sa.BigInteger)
    fee_cents: Mapped[int] = mapped_column(sa.BigInteger)
    from_credit_cents: Mapped[int] = mapped_column(sa.BigInteger)
    from_earnings_cents: Mapped[int] = mapped_column(sa.BigInteger)
    status: Mapped[str] = mapped_column(sa.String(16), default="paid")  # paid, refunded
    # Indexed: a wallet's history reads the purchase each of its transactions belongs to.
    transaction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ledger_transactions.id"), index=True)
    refund_transaction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ledger_transactions.id"), index=True)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refunded_by: Mapped[int | None] = mapped_column()
    # When the buyer first opened or downloaded the paid part: from then on only the creator
    # refunds it (app/services/payments/refund_policy.py).
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# A purchase is one call of a function, created with this table (app/models/ledger_functions.py).
ledger_functions.install(Purchase.__table__)


class Payout(ItemsModel):
    __tablename__ = "payouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(index=True)
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    # pending (waits for an operator), sending, paid, failed, rejected
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    destination: Mapped[str] = mapped_column(sa.String(16))  # stripe or manual
    stripe_account_id: Mapped[str | None] = mapped_column(sa.String(64))
    stripe_transfer_id: Mapped[str | None] = mapped_column(sa.String(64))
    failure_reason: Mapped[str | None] = mapped_column(sa.String(300))
    transaction_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_transactions.id"))
    reversal_transaction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ledger_transactions.id"))
    decided_by: Mapped[int | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TopUp(ItemsModel):
    """A Stripe Checkout session for a credit top-up; credited once, by its session id."""

    __tablename__ = "topups"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(index=True)
    session_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    status: Mapped[str] = mapped_column(sa.String(16), default="open")  # open, credited
    transaction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ledger_transactions.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    credited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ConnectedAccount(ItemsModel):
    """A creator's Stripe Connect account, where payouts are transferred."""

    __tablename__ = "connected_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(unique=True)
    stripe_account_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RefundRequest(ItemsModel):
    """A buyer's request to be refunded, which the creator accepts (the purchase is refunded
    in the same transaction) or declines; one per purchase, decided once."""

    __tablename__ = "refund_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_id: Mapped[int] = mapped_column(sa.ForeignKey("purchases.id"), unique=True)
    buyer_id: Mapped[int] = mapped_column(index=True)
    creator_id: Mapped[int] = mapped_column()
    item_id: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(sa.String(1000), default="")
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")  # pending, accepted, declined
    answer: Mapped[str] = mapped_column(sa.String(500), default="")  # the creator's word on a decline
    decided_by: Mapped[int | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.Index("ix_refund_requests_creator_status", "creator_id", "status"),)
