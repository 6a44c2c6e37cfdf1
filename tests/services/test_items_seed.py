import sqlalchemy as sa

from app.documents.items import ItemContent
from app.extensions import db
from app.models.items import Item


def test_flask_seed_makes_items_of_every_kind_into_empty_databases_only(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed", "--users", "3", "--creators", "2", "--items", "6"])
    assert result.exit_code == 0, result.output
    assert "items: 12" in result.output
    kinds = set(db.session.scalars(sa.select(Item.kind)))
    pricings = set(db.session.scalars(sa.select(Item.pricing)))
    assert kinds == {"writing", "art", "comic", "download"} and pricings == {"free", "one_time", "subscription"}
    assert ItemContent.objects.count() == 12
    again = runner.invoke(args=["seed", "--users", "3", "--creators", "2", "--items", "6"])
    assert again.exit_code == 1 and "12 items, 12 item contents" in again.output
    assert ItemContent.objects.count() == 12 and db.session.scalar(sa.select(sa.func.count()).select_from(Item)) == 12
