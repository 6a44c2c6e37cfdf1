"""`flask db upgrade` builds every bind from empty and `downgrade` returns to base, on ONE
PostgreSQL database shared by all five binds. The migrated schema must equal the models (a
model changed without a migration fails here), and the purchase function the migrations
make must be the one `db.create_all()` makes."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db
from app.models.ledger_functions import PURCHASE_FUNCTION
from app.services.stores import bind_url
from config import BINDS, TestingConfig

# Alembic cannot compare the expression index of PostgreSQL full-text search; it says so.
pytestmark = pytest.mark.filterwarnings(
    "ignore:autogenerate skipping metadata-specified expression-based index:UserWarning"
)


def make_app(tmp_path, binds: dict[str, str]):
    config = TestingConfig(tmp_path)
    config.SQLALCHEMY_BINDS = binds
    return create_app(config)


def table_names(app) -> dict[str, set[str]]:
    names = {}
    for bind in BINDS:
        names[bind] = set(sa.inspect(db.engines[bind]).get_table_names())
    return names


def schema_diff(bind: str) -> list:
    engine = db.engines[bind]
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "include_name": lambda name, type_, parents: type_ != "table"
                or name in db.metadatas[bind].tables,
                "compare_type": False,
            },
        )
        return compare_metadata(context, db.metadatas[bind])


def purchase_functions() -> list:
    """The items bind's purchase functions as the database holds them: (arguments, body) of
    each."""
    with db.engines["items"].connect() as connection:
        return connection.execute(sa.text(
            "SELECT pg_get_function_identity_arguments(oid), prosrc FROM pg_proc WHERE proname = 'dd_purchase_item'"
        )).all()


def check_purchase_function() -> None:
    """The migrations made the function `db.create_all()` makes: running the models' DDL
    over it changes nothing (a different signature would add a second function)."""
    migrated = purchase_functions()
    with db.engines["items"].begin() as connection:
        connection.execute(sa.DDL(PURCHASE_FUNCTION))
    assert len(migrated) == 1 and purchase_functions() == migrated


def check_round_trip(app) -> None:
    with app.app_context():
        upgrade()
        tables = table_names(app)
        for bind in BINDS:
            expected = set(db.metadatas[bind].tables) | {f"alembic_version_{bind}"}
            assert expected <= tables[bind], f"{bind}: missing {expected - tables[bind]}"
            assert schema_diff(bind) == [], f"{bind}: models and migrations differ"
        check_purchase_function()
        downgrade(revision="base")
        assert purchase_functions() == []
        for bind, names in table_names(app).items():
            assert names <= {f"alembic_version_{b}" for b in BINDS}, f"{bind} left {names}"
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture
def fresh_postgres_url(app):
    """A new database on the suite's PostgreSQL server."""
    url = sa.make_url(bind_url(app.config, "users"))
    name = f"dd_migrations_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_and_downgrade_with_all_binds_in_one_postgres_database(tmp_path, fresh_postgres_url):
    binds = {bind: fresh_postgres_url for bind in BINDS}
    app = make_app(tmp_path, binds)
    check_round_trip(app)
    with app.app_context():
        versions = {t for t in sa.inspect(db.engines["users"]).get_table_names() if t.startswith("alembic_version")}
        assert versions == {f"alembic_version_{b}" for b in BINDS}
        for engine in db.engines.values():
            engine.dispose()


def test_upgrading_past_0003_replaces_the_old_purchase_function(tmp_path, fresh_postgres_url):
    """A database migrated before 0003 holds the function with its old arguments (the
    notification's url): after the upgrade only the function of the module is left (one
    function, which the models' DDL does not change)."""
    app = make_app(tmp_path, {bind: fresh_postgres_url for bind in BINDS})
    with app.app_context():
        upgrade(revision="0002")
        with db.engines["items"].begin() as connection:
            connection.execute(sa.text(
                "CREATE FUNCTION dd_purchase_item(bigint, bigint, bigint, bigint, timestamp, integer, bigint[], text) "
                "RETURNS void LANGUAGE sql AS ''"))
        assert len(purchase_functions()) == 2
        upgrade()
        check_purchase_function()
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
