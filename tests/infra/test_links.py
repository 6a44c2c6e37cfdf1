"""`link()` (app/web/links.py) gives what `url_for` gives, per endpoint, values and script root."""

from flask import url_for

from app.web.links import link


def test_link_is_url_for_remembered(app):
    with app.test_request_context("/"):
        assert link("users.show", username="ada") == url_for("users.show", username="ada") == "/u/ada"
        assert link("users.show", username="bea") == "/u/bea"
        assert link("users.show", username="ada") == "/u/ada"
        assert link("static", filename="css/app.css") == url_for("static", filename="css/app.css")
    with app.test_request_context("/", base_url="http://localhost/mounted"):
        assert link("users.show", username="ada") == "/mounted/u/ada"


def test_the_layout_links_to_the_signed_in_users_own_pages(app):
    from tests.conftest import sign_in
    from tests.factories import UserFactory

    for name in ("ada", "bea"):
        client = app.test_client()
        sign_in(client, UserFactory(username=name))
        html = client.get("/notifications").get_data(as_text=True)
        assert f'href="/u/{name}"' in html and f'href="/creators/{name}"' in html
