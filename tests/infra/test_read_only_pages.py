"""Read-only pages (`read_only` in app/web/work.py): the feeds and their navigation read in
autocommit; everything else keeps its transaction, and a connection back in the pool is
transactional again."""

import re

from app.extensions import db
from app.services.notifications import notify
from tests.conftest import sign_in
from tests.factories import PostFactory, UserFactory, follow
from tests.factories.payments import fund
from tests.support.statements import Statements


class Recorder(Statements):
    """Each query the app runs, with whether its connection was in autocommit."""

    def __init__(self):
        super().__init__(lambda statement: statement.split()[0].upper() in QUERIES)

    def __enter__(self):
        # Tests share the app context's session with the requests: end its transaction, as
        # every request of a running app starts with a new session.
        db.session.commit()
        return super().__enter__()


QUERIES = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "EXECUTE")


def signed_in(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def reads_navigation(seen) -> bool:
    """Whether any of these statements read the navigation's badge or balance."""
    return any("notifications" in statement or "ledger_accounts" in statement for statement, _ in seen)


def badge(html: str) -> str:
    return re.search(r'<li id="nav-notifications"[^>]*>(.*?)</li>', html, re.S).group(1)


def test_home_reads_in_autocommit(app):
    me, author = UserFactory(), UserFactory()
    follow(me, author)
    PostFactory(author_id=author.id)
    db.session.commit()
    client = signed_in(app, me)
    assert client.get("/home").status_code == 200  # the first visit grants the sign-up credit
    with Recorder() as recorder:
        response = client.get("/home")
    assert response.status_code == 200
    assert recorder.seen and all(autocommit for _, autocommit in recorder.seen), recorder.seen


def test_other_pages_and_writes_keep_their_transaction(app):
    me, author = UserFactory(), UserFactory()
    post = PostFactory(author_id=author.id)
    db.session.commit()
    client = signed_in(app, me)
    client.get("/home")
    for _ in range(3):  # the pooled connections the feed used are transactional again
        with Recorder() as recorder:
            assert client.get("/notifications").status_code == 200
        # (The navigation's balance is the ledger's own read, in autocommit on every page.)
        request = [(statement, autocommit) for statement, autocommit in recorder.seen
                   if "ledger_accounts" not in statement]
        assert request and not any(autocommit for _, autocommit in request), recorder.seen
        with Recorder() as recorder:
            client.get("/home")
            response = client.post(f"/posts/{post.id}/like", headers={"HX-Request": "true"},
                                   data={"csrf_token": csrf_of(client)})
        assert response.status_code == 200
        writes = [autocommit for statement, autocommit in recorder.seen
                  if statement.split()[0] in ("INSERT", "UPDATE", "DELETE")]
        assert writes and not any(writes), recorder.seen
        client.post(f"/posts/{post.id}/unlike", headers={"HX-Request": "true"}, data={"csrf_token": csrf_of(client)})


def csrf_of(client) -> str:
    html = client.get("/notifications").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_the_navigation_shows_the_current_badge_and_balance(app):
    """The badge and the balance are read afresh for every page."""
    me, fan = UserFactory(), UserFactory()
    db.session.commit()
    client = signed_in(app, me)
    client.get("/home")
    fund(me, credit=1234)
    notify(me.id, "follow", actor_id=fan.id, text="followed you")
    notify(me.id, "follow", actor_id=UserFactory().id, text="followed you")
    db.session.commit()
    html = client.get("/home").get_data(as_text=True)
    assert "2" in badge(html)
    assert "$50,012.34" in html
    client.post("/notifications/read", data={"csrf_token": csrf_of(client)})
    assert "2" not in badge(client.get("/home").get_data(as_text=True))


def test_htmx_next_page_reads_no_navigation(app):
    me, author = UserFactory(), UserFactory()
    follow(me, author)
    for _ in range(25):
        PostFactory(author_id=author.id)
    db.session.commit()
    client = signed_in(app, me)
    html = client.get("/home").get_data(as_text=True)
    more = re.search(r'href="(/home\?cursor=[^"]+)"', html).group(1).replace("&amp;", "&")
    with Recorder() as recorder:
        response = client.get(more, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "nav-notifications" not in response.get_data(as_text=True)
    assert recorder.seen and not reads_navigation(recorder.seen), recorder.seen


def test_the_json_feed_reads_no_navigation(app):
    me = UserFactory()
    db.session.commit()
    client = signed_in(app, me)
    client.get("/api/posts/feed")
    with Recorder() as recorder:
        assert client.get("/api/posts/feed").status_code == 200
    assert recorder.seen and not reads_navigation(recorder.seen), recorder.seen
    assert all(autocommit for _, autocommit in recorder.seen), recorder.seen


def test_a_read_only_page_gives_its_connections_back(app):
    me = UserFactory()
    db.session.commit()
    client = signed_in(app, me)
    client.get("/home")
    pool = db.engines["social"].pool
    checked_out = pool.checkedout()
    for _ in range(3):
        assert client.get("/home").status_code == 200
    assert pool.checkedout() == checked_out  # the unit of work gave the connection back


def test_a_read_only_page_keeps_its_single_statement_write(app):
    """The sign-in session's `last_seen_at` is touched in autocommit on a feed page: it is
    stored although the page's session is not committed."""
    from datetime import timedelta

    import sqlalchemy as sa

    from app.models import AuthSession
    from app.models.base import utcnow

    me = UserFactory()
    db.session.commit()
    client = signed_in(app, me)
    client.get("/home")
    old = utcnow() - timedelta(days=2)
    db.session.execute(sa.update(AuthSession).where(AuthSession.user_id == me.id).values(last_seen_at=old))
    db.session.commit()
    db.session.commit()
    assert client.get("/home").status_code == 200
    with db.engines["users"].connect() as connection:  # another connection sees it stored
        seen = connection.scalar(sa.select(AuthSession.last_seen_at).where(AuthSession.user_id == me.id))
    assert seen.replace(tzinfo=old.tzinfo) > old + timedelta(days=1)
