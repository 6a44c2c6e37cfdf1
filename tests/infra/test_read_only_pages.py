"""Read-only pages (app/web/reads.py): the feeds and their navigation read in autocommit;
everything else keeps its transaction, and a connection back in the pool is transactional
again."""

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


class Commits:
    """How many times sessions committed while the block ran."""

    def __init__(self):
        self.count = 0

    def _seen(self, _session):
        self.count += 1

    def __enter__(self):
        import sqlalchemy as sa

        db.session.commit()
        sa.event.listen(db.session, "after_commit", self._seen)
        self.count = 0
        return self

    def __exit__(self, *exc):
        import sqlalchemy as sa

        sa.event.remove(db.session, "after_commit", self._seen)


def test_a_read_only_page_that_changed_nothing_is_not_committed_and_releases_its_connection(app):
    me = UserFactory()
    db.session.commit()
    client = signed_in(app, me)
    client.get("/home")
    pool = db.engines["social"].pool
    with Commits() as commits:
        checked_out = pool.checkedout()
        for _ in range(3):
            assert client.get("/home").status_code == 200
        assert pool.checkedout() == checked_out  # the teardown gave the connection back
    assert commits.count == 0
    with Commits() as commits:  # a page that is not read-only commits as before
        assert client.get("/notifications").status_code == 200
    assert commits.count == 1


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
    with Commits() as commits:
        assert client.get("/home").status_code == 200
    assert commits.count == 0
    with db.engines["users"].connect() as connection:  # another connection sees it stored
        seen = connection.scalar(sa.select(AuthSession.last_seen_at).where(AuthSession.user_id == me.id))
    assert seen.replace(tzinfo=old.tzinfo) > old + timedelta(days=1)


def test_nothing_to_commit_holds_only_for_a_read_only_request_with_nothing_pending(app):
    from app.services.audit import DURABLE_KEY
    from app.services.broker import PENDING_KEY
    from app.services.chat.communities import AFTER_COMMIT
    from app.web.reads import nothing_to_commit

    me = UserFactory()
    db.session.commit()
    with app.test_request_context("/notifications"):
        assert not nothing_to_commit(db.session())  # not a read-only view
    with app.test_request_context("/home"):
        db.session.commit()
        app.preprocess_request()  # the read-only hook: autocommit reads
        session = db.session()
        db.session.get(type(me), me.id)
        assert nothing_to_commit(session)
        for key in (PENDING_KEY, AFTER_COMMIT, DURABLE_KEY):
            session.info[key] = ["queued"]
            assert not nothing_to_commit(session), key
            del session.info[key]
        me.bio = "changed"
        assert not nothing_to_commit(session)
        db.session.rollback()


def test_nothing_to_commit_is_false_for_a_connection_inside_a_transaction(app):
    import sqlalchemy as sa

    from app.web.reads import nothing_to_commit

    with app.test_request_context("/home"):
        db.session.commit()
        # A statement before the read-only hook: its connection begins a transaction.
        db.session.execute(sa.text("SELECT 1"), bind_arguments={"bind": db.engines["social"]})
        assert not nothing_to_commit(db.session())
        db.session.rollback()
