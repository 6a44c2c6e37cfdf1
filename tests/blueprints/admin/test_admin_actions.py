"""Every admin action: what it does, what it writes to the audit log, what the reporter hears."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, CommunityPost, Item, User
from app.models.social import Comment, Notification, Post, Report
from app.services.reports.queue import create_report
from tests.conftest import csrf_token, sign_in
from tests.factories import CommentFactory, ItemFactory, PostFactory, UserFactory, make_community


@pytest.fixture
def admin_client(make_client):
    admin = UserFactory(is_admin=True)
    client = make_client()
    sign_in(client, admin)
    client.user = admin
    client.token = csrf_token(client, "/admin")
    return client


def _post(client, path, **data):
    return client.post(path, data={"csrf_token": client.token, **data})


def _audit(action):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def _notes(user):
    return db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)).all()


def _report(reporter, target_type, target_id):
    report = create_report(reporter, target_type, target_id, "Breaks the rules")
    db.session.commit()
    return report.id


def test_suspend_ends_sessions_blocks_sign_in_and_hides_content(admin_client, make_client):
    target = UserFactory(username="spammer")
    post = PostFactory(author_id=target.id, body="buy now")
    item = ItemFactory(creator_id=target.id, status="published")
    victim = make_client()
    sign_in(victim, target)
    reader = make_client()
    assert reader.get(f"/posts/{post.id}").status_code == 200

    response = _post(admin_client, f"/admin/users/{target.id}/suspend", reason="Spam wave")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, target.id).suspended_reason == "Spam wave"
    assert victim.get("/settings/profile").status_code == 302  # the session stopped
    signin = make_client().post("/api/auth/signin", json={"login": "spammer", "password": "correct horse battery staple"})
    assert signin.status_code == 403
    assert reader.get(f"/posts/{post.id}").status_code == 404
    assert reader.get("/u/spammer").status_code == 404
    assert reader.get(f"/items/{item.id}").status_code == 404
    assert "buy now" not in reader.get("/explore").get_data(as_text=True)
    [event] = _audit("user_suspended")
    assert event.user_id == admin_client.user.id and event.target_id == str(target.id)
    assert event.details["reason"] == "Spam wave"

    assert _post(admin_client, f"/admin/users/{target.id}/reinstate", reason="Appeal upheld").status_code == 303
    db.session.expire_all()
    assert db.session.get(User, target.id).suspended_at is None
    assert reader.get(f"/posts/{post.id}").status_code == 200
    assert _audit("user_reinstated")[0].details["reason"] == "Appeal upheld"


def test_suspend_needs_a_reason_and_spares_admins(admin_client):
    target, other_admin = UserFactory(), UserFactory(is_admin=True)
    assert _post(admin_client, f"/admin/users/{target.id}/suspend", reason="").status_code == 400
    assert _post(admin_client, f"/admin/users/{other_admin.id}/suspend", reason="x").status_code == 403
    assert _post(admin_client, f"/admin/users/{target.id}/reinstate", reason="x").status_code == 409
    assert _post(admin_client, "/admin/users/999/suspend", reason="x").status_code == 404
    db.session.expire_all()
    assert db.session.get(User, target.id).suspended_at is None
    assert not _audit("user_suspended")


def test_user_search_full_page_and_fragment(admin_client, htmx):
    UserFactory(username="zelda"), UserFactory(username="link")
    page = admin_client.get("/admin/users?q=zel")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "@zelda" in html and "@link" not in html and "<html" in html
    fragment = admin_client.get("/admin/users?q=link", headers=htmx).get_data(as_text=True)
    assert fragment.startswith('<div id="admin-users">') and "@link" in fragment


def test_dismiss_a_report_tells_the_reporter(admin_client, htmx):
    author, reporter = UserFactory(), UserFactory()
    post = PostFactory(author_id=author.id)
    report_id = _report(reporter, "post", post.id)
    queue = admin_client.get("/admin/reports")
    assert f'id="report-{report_id}"' in queue.get_data(as_text=True)
    fragment = admin_client.get("/admin/reports", headers=htmx).get_data(as_text=True)
    assert fragment.startswith('<div id="admin-reports">')
    assert _post(admin_client, f"/admin/reports/{report_id}/dismiss", note="Satire").status_code == 303
    assert db.session.get(Report, report_id).status == "dismissed"
    assert db.session.get(Post, post.id) is not None
    [note] = _notes(reporter)
    assert note.kind == "report_resolved" and "no breach" in note.text
    assert _audit("report_dismissed")[0].details["note"] == "Satire"
    assert _post(admin_client, f"/admin/reports/{report_id}/dismiss").status_code == 409


@pytest.mark.parametrize("kind", ["post", "comment", "item", "community_post"])
def test_remove_reported_content(admin_client, kind):
    author, reporter, second = UserFactory(), UserFactory(), UserFactory()
    post = PostFactory(author_id=author.id)
    targets = {"post": lambda: post.id,
               "comment": lambda: CommentFactory(post_id=post.id, author_id=author.id).id,
               "item": lambda: ItemFactory(creator_id=author.id).id,
               "community_post": lambda: _thread(author).id}
    target_id = targets[kind]()
    report_id, other_id = _report(reporter, kind, target_id), _report(second, kind, target_id)
    assert _post(admin_client, f"/admin/reports/{report_id}/remove").status_code == 303
    db.session.expire_all()
    model = {"post": Post, "comment": Comment, "item": Item, "community_post": CommunityPost}[kind]
    row = db.session.get(model, target_id)
    if kind in ("post", "comment"):
        assert row is None
    elif kind == "item":
        assert row.deleted_at is not None
    else:
        assert row.removed_at is not None and row.removed_by_id == admin_client.user.id
    assert {db.session.get(Report, i).status for i in (report_id, other_id)} == {"removed"}
    assert "we removed it" in _notes(reporter)[0].text and _notes(second)
    assert _audit("content_removed")[0].target_id == str(target_id)


def _thread(author):
    community = make_community(author)
    thread = CommunityPost(community_id=community.id, author_id=author.id, title="T", body_html="<p>b</p>")
    db.session.add(thread)
    db.session.commit()
    return thread


def test_suspend_the_author_from_a_report(admin_client):
    author, reporter = UserFactory(), UserFactory()
    report_id = _report(reporter, "comment", CommentFactory(post_id=PostFactory(author_id=reporter.id).id,
                                                            author_id=author.id).id)
    assert _post(admin_client, f"/admin/reports/{report_id}/suspend", reason="").status_code == 400
    assert _post(admin_client, f"/admin/reports/{report_id}/suspend", reason="Threats").status_code == 303
    db.session.expire_all()
    assert db.session.get(User, author.id).is_suspended
    assert db.session.get(Report, report_id).status == "suspended"
    assert "suspended the account" in _notes(reporter)[0].text
    assert _audit("report_suspended") and _audit("user_suspended")


def test_audit_log_filters(admin_client, htmx):
    target = UserFactory(username="filtered")
    _post(admin_client, f"/admin/users/{target.id}/suspend", reason="One")
    _post(admin_client, f"/admin/users/{target.id}/reinstate", reason="Two")
    admin_name = admin_client.user.username
    html = admin_client.get(f"/admin/audit?who=@{admin_name}&action=user_suspended").get_data(as_text=True)
    assert "user_suspended" in html and "reason=One" in html and "reason=Two" not in html
    html = admin_client.get("/admin/audit?who=nobody").get_data(as_text=True)
    assert "No events match" in html
    html = admin_client.get("/admin/audit?from=2020-01-01&to=2020-01-02").get_data(as_text=True)
    assert "No events match" in html
    assert admin_client.get("/admin/audit?from=nope").status_code == 422
    fragment = admin_client.get("/admin/audit?action=user_reinstated", headers=htmx).get_data(as_text=True)
    assert fragment.startswith('<div id="admin-audit">') and "reason=Two" in fragment


def test_system_page(admin_client):
    html = admin_client.get("/admin/system").get_data(as_text=True)
    mongo_mode = admin_client.application.extensions["dreamdot.mongo_mode"]
    for text in ("users", "social", "items", "community", "audit", mongo_mode, "not configured",
                 "Python", "Flask", "SQLAlchemy", "Embedded defaults", "0.1.0"):
        assert text in html


def test_payouts_are_linked_from_the_admin_navigation(admin_client):
    from app.services.payments import payouts
    from tests.factories import fund

    creator = UserFactory()
    fund(creator, earnings=5000)
    payouts.redeem_earnings(creator.id, 1000)
    html = admin_client.get("/admin").get_data(as_text=True)
    assert 'href="/admin/payouts"' in html and "1 pending payout<" in html
    # Approving and rejecting are the payments domain's routes (tested in tests/blueprints/payments).
    assert 'id="payout-' in admin_client.get("/admin/payouts").get_data(as_text=True)


def test_user_page_full_and_fragment(admin_client, htmx):
    target = UserFactory(username="someone")
    page = admin_client.get(f"/admin/users/{target.id}").get_data(as_text=True)
    assert "<html" in page and "Suspend @someone" in page
    fragment = admin_client.get(f"/admin/users/{target.id}", headers=htmx).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="admin-user">') and "<html" not in fragment
    missing = admin_client.get("/admin/users/999")
    assert missing.status_code == 404 and 'id="error-404"' in missing.get_data(as_text=True)


def test_a_suspended_authors_comments_and_threads_are_hidden(admin_client, make_client):
    target, other = UserFactory(), UserFactory()
    post = PostFactory(author_id=other.id)
    CommentFactory(post_id=post.id, author_id=target.id, body="a rude comment")
    community = make_community(other)
    thread = CommunityPost(community_id=community.id, author_id=target.id, title="Rude thread", body_html="<p>x</p>")
    db.session.add(thread)
    db.session.commit()
    reader = make_client()
    assert "a rude comment" in reader.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "Rude thread" in reader.get(f"/communities/{community.slug}").get_data(as_text=True)
    _post(admin_client, f"/admin/users/{target.id}/suspend", reason="Abuse")
    assert "a rude comment" not in reader.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "Rude thread" not in reader.get(f"/communities/{community.slug}").get_data(as_text=True)
    assert reader.get(f"/communities/{community.slug}/posts/{thread.id}").status_code == 404
