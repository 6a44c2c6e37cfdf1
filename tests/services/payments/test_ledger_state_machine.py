"""A Hypothesis state machine over grants, top-ups, purchases, refunds, subscriptions,
renewals and payouts: after every step the ledger balances, caches match entries, no user
is negative, and money is neither created nor lost."""

import secrets
from datetime import timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from app.extensions import db
from app.models.base import utcnow
from app.models.ledger import LedgerAccount, LedgerEntry, TopUp
from app.services.errors import ServiceError
from app.services.payments import grants, payouts, purchases, subscriptions, topups
from app.services.payments.ledger import money_session, read_session, verify_ledger
from tests.conftest import _empty_databases
from tests.factories import UserFactory, make_item, make_plan

N_USERS = 3


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self, app):
        super().__init__()
        self.app = app
        self.now = utcnow()
        self.topups = 0
        self.purchase_ids: list[int] = []
        self.payout_ids: list[int] = []
        self.admin = None

    @initialize()
    def setup(self):
        self.users = UserFactory.create_batch(N_USERS)
        self.admin = UserFactory(is_admin=True)
        self.items = [make_item(u, price_cents=p) for u in self.users for p in (250, 5_000)]
        for user in self.users:
            make_plan(user, 700)
        self.user_ids = [u.id for u in self.users]

    user = st.integers(0, N_USERS - 1)

    @rule(u=user)
    def grant(self, u):
        grants.grant_signup(self.user_ids[u])

    @rule(u=user, amount=st.integers(500, 1_000_000), replay=st.booleans())
    def top_up(self, u, amount, replay):
        self.topups += 1
        session = {"id": f"cs_sm_{self.topups}", "payment_status": "paid", "amount_total": amount, "currency": "usd",
                   "client_reference_id": str(self.user_ids[u]), "metadata": {"purpose": "topup"}}
        with money_session() as db_session:  # the row start_topup writes before Stripe is asked
            db_session.add(TopUp(user_id=self.user_ids[u], session_id=session["id"],
                                 idempotency_key=secrets.token_hex(16), amount_cents=amount))
        assert topups.apply_checkout_session(session) is True
        if replay:
            assert topups.apply_checkout_session(session) is False

    @rule(u=user, i=st.integers(0, 2 * N_USERS - 1))
    def purchase(self, u, i):
        try:
            result = purchases.purchase_item(self.user_ids[u], self.items[i].id)
            self.purchase_ids.append(result.purchase.id)
        except ServiceError:
            pass

    @rule(data=st.data(), by_creator=st.booleans())
    def refund(self, data, by_creator):
        if not self.purchase_ids:
            return
        pid = data.draw(st.sampled_from(self.purchase_ids))
        with read_session() as s:
            from app.models.ledger import Purchase

            p = s.get(Purchase, pid)
        try:
            purchases.refund_purchase(p.creator_id if by_creator else p.buyer_id, pid)
        except ServiceError:
            pass

    @rule(u=user, c=user)
    def subscribe(self, u, c):
        try:
            subscriptions.subscribe(self.user_ids[u], self.users[c], now=self.now)
        except ServiceError:
            pass

    @rule(days=st.integers(1, 40))
    def renew(self, days):
        self.now += timedelta(days=days)
        subscriptions.renew_due(now=self.now)

    @rule(u=user, amount=st.integers(0, 20_000))
    def redeem(self, u, amount):
        try:
            self.payout_ids.append(payouts.redeem_earnings(self.user_ids[u], amount).id)
        except ServiceError:
            pass

    @rule(data=st.data(), approve=st.booleans())
    def decide_payout(self, data, approve):
        if not self.payout_ids:
            return
        pid = data.draw(st.sampled_from(self.payout_ids))
        try:
            if approve:
                payouts.approve_payout(self.admin, pid)
            else:
                payouts.reject_payout(self.admin, pid)
        except ServiceError:
            pass

    @invariant()
    def ledger_holds(self):
        with read_session() as s:
            assert verify_ledger(s) == []
            assert (s.scalar(sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_cents), 0))) or 0) == 0
            assert s.scalar(sa.select(sa.func.count()).where(LedgerAccount.user_id.is_not(None),
                                                              LedgerAccount.balance_cents < 0)) == 0

    def teardown(self):
        db.session.remove()
        _empty_databases(self.app)


LedgerMachine.TestCase.settings = settings(
    max_examples=12, stateful_step_count=15, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def test_ledger_state_machine(app):
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(lambda: LedgerMachine(app), settings=LedgerMachine.TestCase.settings)
