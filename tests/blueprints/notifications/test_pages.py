"""The notifications page, the nav badge, mark all read and opening a notification:
each without JavaScript and with HTMX."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models.social import Notification
from app.services import notifications
from tests.conftest import csrf_token
from tests.factories import UserFactory


@pytest.fixture
def ada():
    return UserFactory(display_name="Ada")


def notify(user, actor, kind="like", n=1, url="/u/someone"):
    made = [notifications.notify(user.id, kind, actor_id=actor.id, target_type="post", target_id=1, url=url)
            for _ in range(n)]
    db.session.commit()
    return made


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_anonymous_is_sent_to_sign_in(client, htmx):
    page = client.get("/notifications")
    assert page.status_code == 302 and page.headers["Location"] == "/signin?next=/notifications"
    response = client.get("/notifications", headers=htmx)
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith("/signin")
    assert client.post("/notifications/read").status_code in (302, 400)


def test_page_without_js_lists_notifications_with_actor_link(auth_client, ada):
    for kind in ("follow", "like", "comment", "mention"):
        notify(auth_client.user, ada, kind)
    response = auth_client.get("/notifications")
    assert response.status_code == 200
    page = text(response)
    for sentence in ("Ada followed you", "Ada liked your post", "Ada commented on your post",
                     "Ada mentioned you"):
        assert sentence in page
    html = response.get_data(as_text=True)
    assert f'href="/u/{ada.username}"' in html
    assert "4 unread" in page
    assert html.index("mentioned you") < html.index("followed you")  # newest first
    assert '<form method="post" action="/notifications/read"' in html
    assert "<!doctype html>" in html


def test_page_with_htmx_is_the_panel_fragment(auth_client, ada, htmx):
    notify(auth_client.user, ada)
    response = auth_client.get("/notifications", headers=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<!doctype html>" not in html and 'id="notifications-list"' in html
    assert "Ada liked your post" in text(response)


def test_empty_page_says_so(auth_client):
    assert "Nothing yet" in text(auth_client.get("/notifications"))


def test_load_more_is_a_link_without_js_and_a_fragment_with_htmx(app, auth_client, ada, htmx):
    made = notify(auth_client.user, ada, n=25)
    html = auth_client.get("/notifications").get_data(as_text=True)
    assert f'id="notification-{made[5].id}"' in html and f'id="notification-{made[4].id}"' not in html
    more = re.search(r'href="(/notifications\?cursor=[^"]+)"', html).group(1).replace("&amp;", "&")
    page_two = auth_client.get(more)
    assert page_two.status_code == 200 and "<!doctype html>" in page_two.get_data(as_text=True)
    fragment = auth_client.get(more, headers=htmx).get_data(as_text=True)
    assert "<!doctype html>" not in fragment and "<h1>" not in fragment
    ids = re.findall(r'id="notification-(\d+)"', fragment)
    assert ids == [str(n.id) for n in reversed(made[:5])]
    assert "notifications-more" not in fragment  # the last page


def test_tampered_cursor_is_a_clear_error_page(auth_client):
    response = auth_client.get("/notifications?cursor=abc")
    assert response.status_code == 400
    assert "damaged" in text(response)


def test_mark_all_read_without_js_redirects(auth_client, ada):
    notify(auth_client.user, ada, n=3)
    token = csrf_token(auth_client, "/notifications")
    response = auth_client.post("/notifications/read", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/notifications"
    assert notifications.unread_count(auth_client.user.id) == 0
    page = text(auth_client.get("/notifications"))
    assert "All notifications are marked read." in page and "0 unread" in page


def test_mark_all_read_with_htmx_returns_the_panel_and_the_badge(auth_client, ada, htmx):
    notify(auth_client.user, ada, n=2)
    token = csrf_token(auth_client, "/notifications")
    response = auth_client.post("/notifications/read", headers={**htmx, "X-CSRFToken": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "0 unread" in html and 'id="notifications-list"' in html
    assert '<li id="nav-notifications" hx-swap-oob="innerHTML">' in html
    assert 'class="badge"' not in html


def test_mark_all_read_needs_the_csrf_token(auth_client, ada, htmx):
    notify(auth_client.user, ada)
    assert auth_client.post("/notifications/read").status_code == 400
    assert auth_client.post("/notifications/read", headers=htmx).status_code == 400
    assert notifications.unread_count(auth_client.user.id) == 1


def test_opening_a_notification_marks_it_read_and_follows_it(auth_client, ada, htmx):
    first, second = notify(auth_client.user, ada, n=2, url=f"/u/{ada.username}")
    response = auth_client.get(f"/notifications/{first.id}")
    assert response.status_code == 303 and response.headers["Location"] == f"/u/{ada.username}"
    assert db.session.get(Notification, first.id).read_at is not None
    response = auth_client.get(f"/notifications/{second.id}", headers=htmx)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == f"/u/{ada.username}"
    assert notifications.unread_count(auth_client.user.id) == 0


def test_a_notification_never_redirects_off_site(auth_client, ada):
    (note,) = notify(auth_client.user, ada, url="https://evil.example/x")
    assert auth_client.get(f"/notifications/{note.id}").headers["Location"] == "/notifications"


def test_someone_elses_notification_is_404(auth_client, ada):
    (theirs,) = notify(ada, auth_client.user)
    assert auth_client.get(f"/notifications/{theirs.id}").status_code == 404
    assert db.session.get(Notification, theirs.id).read_at is None


def test_nav_badge_shows_the_unread_count_and_connects_the_stream(auth_client, ada):
    html = auth_client.get("/").get_data(as_text=True)
    assert '<li id="nav-notifications" sse-swap="badge">' in html
    assert 'class="badge"' not in html
    assert 'hx-ext="sse" sse-connect="/events" sse-close="signed_out"' in html
    notify(auth_client.user, ada, n=3)
    html = auth_client.get("/").get_data(as_text=True)
    assert '<span class="badge" id="notifications-badge">3</span>' in html


def test_anonymous_pages_have_no_badge_and_no_stream(client):
    html = client.get("/").get_data(as_text=True)
    assert "nav-notifications" not in html and "sse-connect" not in html
