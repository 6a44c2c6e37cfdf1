"""The one search function runs on each engine's own full-text search."""

import os

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.services.items.search import search_items
from tests.factories import UserFactory
from tests.items_helpers import new_item, request_context


@pytest.fixture(autouse=True)
def _request(app):
    yield from request_context(app)


def engine():
    return db.engines["items"]


def test_sqlite_uses_an_fts5_table_kept_in_sync():
    if engine().dialect.name != "sqlite":
        pytest.skip("SQLite only")
    creator = UserFactory()
    item = new_item(creator, title="Copper kettle", tags=["kitchen"])
    rows = db.session.execute(sa.text("SELECT rowid FROM items_fts WHERE items_fts MATCH 'kettle'"),
                              bind_arguments={"bind": engine()}).all()
    assert [r[0] for r in rows] == [item.id]
    assert [i.id for i in search_items(q="KITCH").items] == [item.id]
    assert search_items(q="\"&|!:*()' OR NEAR").items == []


@pytest.mark.postgres
def test_postgres_uses_a_gin_index_over_the_search_text():
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("TEST_DATABASE_URL is not set")
    index = db.session.execute(sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_items_search_tsv'"),
                               bind_arguments={"bind": engine()}).scalar()
    assert index and "gin" in index.lower() and "to_tsvector" in index
    creator = UserFactory()
    item = new_item(creator, title="Copper kettle", description="Polished by hand", tags=["kitchen"])
    new_item(creator, title="Iron pan")
    assert [i.id for i in search_items(q="polish kettle").items] == [item.id]
    assert [i.id for i in search_items(q="kitch").items] == [item.id]
    assert search_items(q="&|!:*()' OR").items == []  # operators are stripped, never a syntax error
