"""`CompiledSelect` (app/services/compiled.py): the same rows as SQLAlchemy's own execution,
seen by cursor listeners, errors raised as SQLAlchemy's, and a prepared statement per
connection."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import User
from app.models.base import UTCDateTime
from app.models.social import Post
from app.services.accounts import sessions
from app.services.compiled import CompiledSelect, use_prepared_statements
from tests.factories import PostFactory, UserFactory, follow
from tests.support.statements import Statements


def connection_for(model):
    return db.session.connection(bind_arguments={"mapper": sa.inspect(model)})


def sqlalchemy_rows(statement, params, model=Post):
    return [tuple(row) for row in connection_for(model).execute(statement, params)]


@pytest.fixture
def feed_data():
    me, author = UserFactory(), UserFactory()
    follow(me, author)
    posts = [PostFactory(author_id=author.id, images=[{"key": f"public/p{n}.png", "alt": f"alt {n}"}])
             for n in range(3)] + [PostFactory(author_id=me.id)]
    db.session.commit()
    return me, author, posts


def test_a_statement_gives_sqlalchemys_rows_with_its_types_processed(feed_data):
    _, author, posts = feed_data
    statement = (sa.select(Post.id, Post.images, Post.created_at, Post.body, sa.literal("kept"))
                 .where(Post.author_id == sa.bindparam("author", type_=sa.Integer),
                        Post.created_at < sa.bindparam("before", type_=UTCDateTime()))
                 .order_by(Post.id))
    params = {"author": author.id, "before": datetime.now(UTC) + timedelta(days=1)}
    rows = CompiledSelect(statement).rows(connection_for(Post), params)
    assert rows == sqlalchemy_rows(statement, params)
    assert [row[0] for row in rows] == [post.id for post in posts[:3]]
    assert rows[0][2].tzinfo is UTC  # UTCDateTime's result processor ran
    assert rows[0][1] == [{"key": "public/p0.png", "alt": "alt 0"}]  # JSON decoded
    assert rows[0][3:] == (posts[0].body, "kept")


def test_the_signed_in_user_statement_gives_sqlalchemys_rows(app):
    user = UserFactory()
    auth = sessions.start_session(user)
    db.session.commit()
    compiled = sessions._session_statement()
    params = {"sid": auth.id, "kind": "web", "uid": user.id, "now": datetime.now(UTC)}
    assert compiled.first(connection_for(User), params) == sqlalchemy_rows(compiled.statement, params, User)[0]
    assert compiled.first(connection_for(User), {**params, "sid": "nobody"}) is None


def test_cursor_listeners_see_the_statement(feed_data):
    statement = CompiledSelect(sa.select(Post.id).where(Post.id > sa.bindparam("after", type_=sa.Integer)))
    statement.rows(connection_for(Post), {"after": 0})  # (a PostgreSQL connection prepares it first)
    with Statements() as seen:
        assert len(statement.rows(connection_for(Post), {"after": 0})) == 4
    assert [s.split()[0] for s in seen.statements] in (["SELECT"], ["EXECUTE"])


def test_expanding_parameters_run_through_sqlalchemy(feed_data):
    _, _, posts = feed_data
    statement = sa.select(Post.id).where(Post.id.in_(sa.bindparam("ids", expanding=True))).order_by(Post.id)
    compiled = CompiledSelect(statement)
    ids = [post.id for post in posts[:2]]
    assert compiled.rows(connection_for(Post), {"ids": ids}) == [(i,) for i in sorted(ids)]
    assert compiled._form is None


def test_a_driver_error_is_sqlalchemys(app):
    statement = sa.select(sa.column("x")).select_from(sa.table("no_such_table"))
    with pytest.raises(sa.exc.DBAPIError):
        CompiledSelect(statement).rows(connection_for(Post), {})
    db.session.rollback()


@pytest.mark.usefixtures("feed_data")
def test_postgres_prepares_once_per_connection_then_executes(app):
    engine = db.engines["social"]
    statement = CompiledSelect(sa.select(Post.id, Post.created_at)
                               .where(Post.created_at < sa.bindparam("before", type_=UTCDateTime()))
                               .order_by(Post.id))
    later = datetime.now(UTC) + timedelta(days=1)
    with engine.connect() as connection, Statements() as seen:
        first = statement.rows(connection, {"before": later})
        second = statement.rows(connection, {"before": later})
        prepared = connection.connection.info["dreamdot.prepared"]
    assert first == second and len(first) == 4
    words = [s.split()[0] for s in seen.statements]
    assert words == ["PREPARE", "EXECUTE", "EXECUTE"], seen.statements
    assert "$1" in seen.statements[0] and "TIMESTAMP WITHOUT TIME ZONE" in seen.statements[0]
    assert seen.statements[0] in prepared  # remembered by the connection


@pytest.mark.usefixtures("feed_data")
def test_postgres_without_prepared_statements_sends_the_select(app):
    engine = db.engines["social"]
    statement = CompiledSelect(sa.select(Post.id).order_by(Post.id))
    use_prepared_statements(engine, False)
    try:
        with engine.connect() as connection, Statements() as seen:
            rows = statement.rows(connection, {})
    finally:
        use_prepared_statements(engine, app.config["DB_PREPARED_STATEMENTS"])
    assert len(rows) == 4
    assert [s.split()[0] for s in seen.statements] == ["SELECT"]


def test_postgres_a_lost_connection_is_invalidated_and_the_next_one_prepares_afresh(app):
    engine = db.engines["social"]
    statement = CompiledSelect(sa.select(sa.func.count()).select_from(Post))
    with engine.connect() as connection:
        assert statement.rows(connection, {}) == [(0,)]
        pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        connection.commit()
        with engine.connect() as other:
            other.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
            other.commit()
        with pytest.raises(sa.exc.OperationalError) as failed:
            statement.rows(connection, {})
        assert failed.value.connection_invalidated
    with engine.connect() as connection, Statements() as seen:
        assert statement.rows(connection, {}) == [(0,)]
    assert [s.split()[0] for s in seen.statements][-2:] == ["PREPARE", "EXECUTE"]


def test_utc_datetime_results_are_zone_aware():
    """psycopg2 gives naive datetimes: one plain function makes them aware."""
    from sqlalchemy.dialects.postgresql.psycopg2 import PGDialect_psycopg2

    naive = datetime(2026, 12, 2, 4, 30, 15, 123456)
    dialect = PGDialect_psycopg2()
    processor = UTCDateTime().dialect_impl(dialect).result_processor(dialect, None)
    assert processor(naive) == naive.replace(tzinfo=UTC)
    assert processor(naive).tzinfo is UTC
    assert processor(None) is None


def test_json_columns_are_decoded_by_orjson_on_postgres(feed_data):
    import orjson

    _, author, posts = feed_data
    assert db.engines["social"].dialect._json_deserializer is orjson.loads
    db.session.expire_all()
    assert db.session.get(Post, posts[0].id).images == [{"key": "public/p0.png", "alt": "alt 0"}]
    rows = CompiledSelect(sa.select(Post.images).where(Post.id == sa.bindparam("id", type_=sa.Integer))).rows(
        connection_for(Post), {"id": posts[1].id})
    assert rows == [([{"key": "public/p1.png", "alt": "alt 1"}],)]
