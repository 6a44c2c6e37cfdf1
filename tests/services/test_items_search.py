"""Text search of items: PostgreSQL full text over the GIN index on `items.search_text`."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.services.items.catalog import delete_item, update_item
from app.services.items.search import search_items
from tests.factories import UserFactory
from tests.items_helpers import new_item, request_context


@pytest.fixture(autouse=True)
def _request(app):
    yield from request_context(app)


def found(q: str) -> list[int]:
    return [item.id for item in search_items(q=q).items]


def test_search_uses_a_gin_index_over_the_search_text():
    index = db.session.execute(sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_items_search_tsv'"),
                               bind_arguments={"bind": db.engines["items"]}).scalar()
    assert index and "gin" in index.lower() and "to_tsvector" in index


def test_every_word_matches_as_a_prefix_of_title_description_or_tags():
    creator = UserFactory()
    item = new_item(creator, title="Copper kettle", description="Polished by hand", tags=["kitchen"])
    new_item(creator, title="Iron pan")
    assert found("polish kettle") == [item.id]
    assert found("KITCH") == [item.id]
    assert found("kettle pan") == []


def test_operators_are_words_or_nothing_never_a_syntax_error():
    creator = UserFactory()
    new_item(creator, title="Copper kettle")
    assert found("&|!:*()' OR") == []
    assert found("\"&|!:*()' OR NEAR") == []


def test_an_edit_is_searchable_and_a_deleted_item_is_not():
    creator = UserFactory()
    item = new_item(creator, title="Copper kettle")
    update_item(item, creator, {"title": "Brass teapot"})
    assert found("teapot") == [item.id] and found("kettle") == []
    delete_item(item, creator)
    assert found("teapot") == []
