"""The analytics figures equal what a fixed week of activity and the ledger say."""

import sqlalchemy as sa

from app.extensions import db
from app.models.ledger import LedgerAccount, LedgerEntry, LedgerTransaction
from app.services.analytics.ranges import DateRange
from app.services.analytics.summary import METRICS, creator_summary, per_item, per_post
from app.services.payments.ledger import earnings_code, read_session, user_balance, verify_ledger
from tests.factories.analytics import DAYS, END, START, build_known_week


def test_every_daily_figure_matches_the_known_week():
    week = build_known_week()
    data = creator_summary(week["creator"].id, DateRange(START, END))
    assert data["range"] == {"from": "2026-03-01", "to": "2026-03-07", "days": 7}
    for metric, expected in week["expected"].items():
        assert [d["date"] for d in data[metric]["daily"]] == DAYS, metric
        assert [d["value"] for d in data[metric]["daily"]] == expected, metric
    for metric in METRICS:
        if metric != "followers_total":
            assert data[metric]["total"] == sum(d["value"] for d in data[metric]["daily"])
    assert data["followers_total"]["total"] == 2  # at the end of the range
    assert data["mrr_cents"] == week["mrr_cents"] and data["active_subscribers"] == 1
    # The last day has nothing at all.
    assert all(data[m]["daily"][-1]["value"] == 0 for m in METRICS if m != "followers_total")


def test_earnings_equal_the_ledger():
    week = build_known_week()
    creator = week["creator"]
    data = creator_summary(creator.id, DateRange(START, END))
    account = db.session.scalar(sa.select(LedgerAccount).where(LedgerAccount.code == earnings_code(creator.id)))
    in_range = db.session.scalar(
        sa.select(sa.func.sum(LedgerEntry.amount_cents))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerEntry.account_id == account.id, LedgerTransaction.created_at >= DateRange(START, END).begins_at,
               LedgerTransaction.created_at < DateRange(START, END).ends_before))
    with read_session() as session:  # the ledger's own view: cached balance and entries agree
        assert verify_ledger(session) == []
        balance = user_balance(session, creator.id)["earnings_cents"]
    assert data["earnings_cents"]["total"] == in_range == balance == 1800


def test_per_post_and_per_item_tables():
    week = build_known_week()
    p1, p2 = week["posts"]
    item1, item2 = week["items"]
    rng = DateRange(START, END)
    posts = {r["id"]: r for r in per_post(week["creator"].id, rng)}
    assert posts[p1.id] | {"title": None} == {"id": p1.id, "title": None, "views": 2, "likes": 2, "comments": 1}
    assert posts[p2.id] | {"title": None} == {"id": p2.id, "title": None, "views": 1, "likes": 1, "comments": 1}
    items = {r["id"]: r for r in per_item(week["creator"].id, rng)}
    assert items[item1.id] == {"id": item1.id, "title": "Zine", "views": 1, "favorites": 1, "reviews": 0,
                               "sales": 2, "refunds": 1, "earnings_cents": 900}
    assert items[item2.id] == {"id": item2.id, "title": "Poster", "views": 0, "favorites": 0, "reviews": 1,
                               "sales": 1, "refunds": 0, "earnings_cents": 450}


def test_a_creator_with_no_activity_gets_zeros():
    from tests.factories import UserFactory

    data = creator_summary(UserFactory().id, DateRange(START, END))
    for metric in METRICS:
        assert [d["value"] for d in data[metric]["daily"]] == [0] * 7
    assert data["mrr_cents"] == 0


def test_seeded_views_are_rollups_of_existing_pages():
    from app.models.social import DailyStat
    from app.services.analytics.seed import seed_views
    from tests.factories import PostFactory, UserFactory

    author = UserFactory()
    PostFactory(author_id=author.id)
    assert seed_views(500) == {"views": 500}
    assert db.session.scalar(sa.select(sa.func.sum(DailyStat.views))) == 500
    assert seed_views(500) == {"views": 0}  # once


def test_prune_command(app):
    from datetime import date

    from app.services.analytics.views import record_view

    record_view("post", 1, 2, "u:3", day=date(2020, 1, 1))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["analytics", "prune-views"])
    assert result.exit_code == 0 and "Pruned 1 view markers" in result.output
