import sqlalchemy as sa

from app.extensions import db
from app.models import CommunityPost
from app.models.social import Notification, Report
from tests.conftest import bearer, csrf_token, sign_in
from tests.factories import CommentFactory, ItemFactory, PostFactory, UserFactory, make_community


def _post_json(client, app, user, body):
    return client.post("/api/reports", json=body, headers=bearer(app, user))


def test_every_kind_of_target_can_be_reported(app, client):
    author, reporter = UserFactory(), UserFactory()
    post = PostFactory(author_id=author.id)
    comment = CommentFactory(post_id=post.id, author_id=author.id)
    item = ItemFactory(creator_id=author.id)
    community = make_community(author)
    thread = CommunityPost(community_id=community.id, author_id=author.id, title="A thread", body_html="<p>x</p>")
    db.session.add(thread)
    db.session.commit()
    for target_type, target_id in [("post", post.id), ("comment", comment.id), ("item", item.id),
                                   ("community_post", thread.id), ("user", author.id)]:
        response = _post_json(client, app, reporter, {"target_type": target_type, "target_id": target_id,
                                                      "reason": "This is spam"})
        assert response.status_code == 201, (target_type, response.get_json())
        report = response.get_json()["report"]
        assert report["status"] == "open" and isinstance(report["id"], int)
    rows = list(db.session.scalars(sa.select(Report)))
    assert len(rows) == 5 and {r.target_owner_id for r in rows} == {author.id}


def test_bad_reports_change_nothing(app, client):
    author, reporter = UserFactory(), UserFactory()
    post = PostFactory(author_id=reporter.id)
    cases = [
        ({"target_type": "planet", "target_id": 1, "reason": "spam"}, 400, "target_type"),
        ({"target_type": "post", "target_id": "abc", "reason": "spam"}, 400, "target_id"),
        ({"target_type": "post", "target_id": 999, "reason": "spam"}, 404, None),
        ({"target_type": "user", "target_id": author.id, "reason": ""}, 400, "reason"),
        ({"target_type": "user", "target_id": author.id, "reason": "x" * 1001}, 400, "reason"),
        ({"target_type": "post", "target_id": post.id, "reason": "my own post"}, 400, None),
    ]
    for body, status, field in cases:
        response = _post_json(client, app, reporter, body)
        assert response.status_code == status, body
        if field:
            assert field in response.get_json()["error"]["fields"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 0
    anonymous = client.post("/api/reports", json={"target_type": "user", "target_id": author.id, "reason": "spam"})
    assert anonymous.status_code in (400, 401)
    assert anonymous.get_json()["error"]["code"] in ("csrf_failed", "unauthorized")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 0


def test_reporting_twice_keeps_one_open_report(app, client):
    author, reporter = UserFactory(), UserFactory()
    first = _post_json(client, app, reporter, {"target_type": "user", "target_id": author.id, "reason": "spam!"})
    second = _post_json(client, app, reporter, {"target_type": "user", "target_id": author.id, "reason": "again"})
    assert first.get_json()["report"]["id"] == second.get_json()["report"]["id"]


def test_report_form_without_js_and_with_htmx(client, htmx):
    author, reporter = UserFactory(), UserFactory()
    post = PostFactory(author_id=author.id)
    sign_in(client, reporter)
    page = client.get(f"/reports/new?target_type=post&target_id={post.id}")
    assert page.status_code == 200 and 'name="reason"' in page.get_data(as_text=True)
    token = csrf_token(client, f"/reports/new?target_type=post&target_id={post.id}")
    data = {"csrf_token": token, "target_type": "post", "target_id": str(post.id)}
    invalid = client.post("/reports/new", data={**data, "reason": ""}, headers=htmx)
    assert invalid.status_code == 422 and invalid.get_data(as_text=True).startswith("<form")
    done = client.post("/reports/new", data={**data, "reason": "Harassment"})
    assert done.status_code == 303 and done.headers["Location"] == f"/posts/{post.id}"
    with_htmx = client.post("/reports/new", data={**data, "reason": "Harassment again"}, headers=htmx)
    assert with_htmx.status_code == 204 and with_htmx.headers["HX-Redirect"] == f"/posts/{post.id}"
    missing = client.get("/reports/new?target_type=post&target_id=999")
    assert missing.status_code == 404 and "There is nothing to report there." in missing.get_data(as_text=True)
    unknown = client.get("/reports/new?target_type=bad&target_id=1")
    assert unknown.status_code == 400 and "Choose what you are reporting." in unknown.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 1  # both sends: one open report


def test_report_form_needs_sign_in(client):
    response = client.get("/reports/new?target_type=user&target_id=1")
    assert response.status_code == 302
    # Back to the same form, target and all, once signed in.
    assert response.headers["Location"] == "/signin?next=/reports/new?target_type%3Duser%26target_id%3D1"


def test_no_notification_until_resolved(app, client):
    author, reporter = UserFactory(), UserFactory()
    _post_json(client, app, reporter, {"target_type": "user", "target_id": author.id, "reason": "spam!"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def test_pages_link_to_the_report_form(client):
    author, reader = UserFactory(), UserFactory()
    post = PostFactory(author_id=author.id)
    item = ItemFactory(creator_id=author.id, status="published")
    comment = CommentFactory(post_id=post.id, author_id=author.id)
    sign_in(client, reader)
    assert f"target_type=comment&amp;target_id={comment.id}" in client.get(f"/posts/{post.id}").get_data(as_text=True)
    for path, link in [(f"/posts/{post.id}", f"target_type=post&amp;target_id={post.id}"),
                       (f"/items/{item.id}", f"target_type=item&amp;target_id={item.id}"),
                       (f"/u/{author.username}", f"target_type=user&amp;target_id={author.id}")]:
        assert link in client.get(path).get_data(as_text=True), path
    sign_in(client, author)
    assert "/reports/new" not in client.get(f"/posts/{post.id}").get_data(as_text=True)
