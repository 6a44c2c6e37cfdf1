import pytest
import sqlalchemy as sa

from app.models.ledger import LedgerAccount, LedgerEntry, LedgerTransaction
from app.services.errors import InsufficientFunds
from app.services.payments import grants
from app.services.payments.balances import get_balance
from app.services.payments.ledger import (
    SYSTEM_SIGNUP,
    AlreadyApplied,
    Leg,
    account_balance,
    credit_code,
    lock_accounts,
    money_session,
    post,
    read_session,
    verify_ledger,
)
from tests.factories import UserFactory, fund


def problems():
    with read_session() as session:
        return verify_ledger(session)


def test_post_writes_balanced_entries_and_moves_cached_balances(user):
    fund(user, credit=700, earnings=300)
    assert get_balance(user.id) == {"credit_cents": 700, "earnings_cents": 300, "total_cents": 1000}
    with read_session() as session:
        assert session.scalar(sa.select(sa.func.sum(LedgerEntry.amount_cents))) == 0
    assert problems() == []


def test_unbalanced_transaction_is_refused(user):
    with pytest.raises(ValueError), money_session() as session:
        accounts = lock_accounts(session, [credit_code(user.id), SYSTEM_SIGNUP])
        post(session, "test", "k1", [Leg(accounts[credit_code(user.id)], 5), Leg(accounts[SYSTEM_SIGNUP], -4)])
    with read_session() as session:
        assert session.scalar(sa.select(sa.func.count(LedgerTransaction.id))) == 0


def test_user_balance_never_goes_below_zero_and_nothing_is_written(user):
    fund(user, credit=100)
    with pytest.raises(InsufficientFunds), money_session() as session:
        accounts = lock_accounts(session, [credit_code(user.id), SYSTEM_SIGNUP])
        post(session, "test", "k2", [Leg(accounts[credit_code(user.id)], -101), Leg(accounts[SYSTEM_SIGNUP], 101)])
    assert get_balance(user.id)["credit_cents"] == 100
    assert problems() == []


def test_same_idempotency_key_applies_once(user):
    for _ in range(2):
        try:
            with money_session() as session:
                accounts = lock_accounts(session, [credit_code(user.id), SYSTEM_SIGNUP])
                post(session, "test", "same", [Leg(accounts[credit_code(user.id)], 5), Leg(accounts[SYSTEM_SIGNUP], -5)])
        except AlreadyApplied:
            pass
    assert get_balance(user.id)["credit_cents"] == 5


def test_fractional_amounts_are_refused(user):
    from app.services.errors import Invalid

    with pytest.raises(Invalid), money_session() as session:
        accounts = lock_accounts(session, [credit_code(user.id), SYSTEM_SIGNUP])
        post(session, "test", "frac", [Leg(accounts[credit_code(user.id)], 0.5), Leg(accounts[SYSTEM_SIGNUP], -0.5)])


def test_verify_finds_a_tampered_cached_balance(user):
    fund(user, credit=100)
    with money_session() as session:
        session.execute(sa.update(LedgerAccount).where(LedgerAccount.user_id == user.id).values(balance_cents=999))
    assert any("cached" in p for p in problems())


def test_signup_grant_is_given_once(app, user):
    assert grants.grant_signup(user.id) is True
    assert grants.grant_signup(user.id) is False
    assert get_balance(user.id)["credit_cents"] == app.config["SIGNUP_GRANT_CENTS"] == 5_000_000
    with read_session() as session:
        assert account_balance(session, SYSTEM_SIGNUP) == -5_000_000


def test_grant_missing_covers_existing_users_once(app):
    users = UserFactory.create_batch(3)
    grants.grant_signup(users[0].id)
    assert grants.grant_missing() == 2
    assert grants.grant_missing() == 0
    assert all(get_balance(u.id)["credit_cents"] == 5_000_000 for u in users)
    assert problems() == []


def test_first_balance_read_grants_a_user_without_accounts(user):
    assert get_balance(user.id)["credit_cents"] == 5_000_000
    assert get_balance(user.id)["credit_cents"] == 5_000_000


def test_cli_verify_and_grant_missing(app, user):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ledger", "grant-missing"])
    assert "granted: 1" in result.output
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0 and "ledger ok" in result.output
    with money_session() as session:
        session.execute(sa.update(LedgerAccount).where(LedgerAccount.user_id == user.id).values(balance_cents=1))
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 1


def test_flask_seed_grants_and_buys(app):
    result = app.test_cli_runner().invoke(args=["seed", "--users", "6", "--creators", "2", "--items", "6",
                                                "--purchases", "4"])
    assert result.exit_code == 0, result.output
    assert "grants:" in result.output and "purchases: 4" in result.output
    assert problems() == []
