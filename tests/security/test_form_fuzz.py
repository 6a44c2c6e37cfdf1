"""Hypothesis on the page forms: arbitrary text and files in every field of sign-up,
password reset, profile, email, post, comment, item and community forms never answer a 5xx, and a refused form
(4xx) writes nothing: no row in any table of the five binds, no stored file."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from config import BINDS
from tests.conftest import CSRF_RE, sign_in
from tests.factories import PostFactory, UserFactory, make_image

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))

text = st.text(max_size=300) | st.sampled_from(["", " ", "a" * 6000, "<script>alert(1)</script>",
                                                 "\x00", "ünïcødé", "../../etc/passwd", "9" * 30])
files = st.one_of(
    st.binary(max_size=2000),
    st.sampled_from([make_image("PNG"), make_image("GIF") + b"<html>", b"", b"GIF89a" + b"\xff" * 100]),
)
upload = st.tuples(files, st.sampled_from(["a.png", "a.html", "", "a.php.jpg", "../x.png"]))

FORMS = {
    "/signup": {"username": text, "email": text, "password": text, "display_name": text},
    "/settings/profile": {"display_name": text, "bio": text, "avatar": upload, "banner": upload,
                          "remove_avatar": text},
    "/settings/password": {"current_password": text, "new_password": text},
    "/settings/email": {"email": text, "current_password": text},
    "/password-reset": {"email": text},
    "/password-reset/confirm": {"token": text, "password": text},
    "/posts": {"body": text, "content_warning": text, "image1": upload, "alt1": text},
    "/posts/{post}/comments": {"body": text},
    "/items/new": {"kind": st.sampled_from(["download", "writing", "art", "comic", "x", ""]) | text,
                   "title": text, "description": text, "tags": text,
                   "pricing": st.sampled_from(["free", "one_time", "subscription"]) | text,
                   "price": text, "body": text, "cover": upload},
    "/communities/new": {"name": text, "slug": text, "description": text, "visibility": text,
                         "icon": upload},
    "/wallet/redeem": {"amount": text | st.sampled_from(["0", "-1", "1e9", "0.001", "99999999999"])},
    "/reports/new": {"target_type": st.sampled_from(["post", "comment", "item", "user", "x"]) | text,
                     "target_id": st.sampled_from(["1", "0", "-1", "9" * 30]) | text, "reason": text},
    "/u/{username}/follow": {"next": text},
}


def counts() -> dict:
    found = {}
    for bind in BINDS:
        with db.engines[bind].connect() as connection:
            for table in db.metadatas[bind].sorted_tables:
                if table.name in ("auth_sessions", "audit_events"):  # a refusal may be audited
                    continue
                found[table.name] = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
    return found


def media(app) -> set:
    root = Path(app.config["MEDIA_ROOT"])
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.mark.parametrize("path", list(FORMS))
def test_arbitrary_form_input_never_fails_and_a_refusal_writes_nothing(app, path):
    user = UserFactory()
    post = PostFactory(author_id=user.id)
    db.session.commit()
    client = app.test_client()
    if path not in ("/signup", "/password-reset", "/password-reset/confirm"):
        sign_in(client, user)
    token = CSRF_RE.search(client.get("/").get_data(as_text=True)).group(1)
    target = path.format(post=post.id, username=UserFactory().username)

    @given(st.fixed_dictionaries({}, optional=FORMS[path]), st.booleans())
    @SETTINGS
    def run(fields, with_htmx):
        data = {"csrf_token": token}
        for name, value in fields.items():
            data[name] = (io.BytesIO(value[0]), value[1]) if isinstance(value, tuple) else value
        db.session.rollback()
        before, files_before = counts(), media(app)
        response = client.post(target, data=data, content_type="multipart/form-data",
                               headers={"HX-Request": "true"} if with_htmx else {})
        response.close()
        assert response.status_code < 500, (target, fields, response.status_code)
        if response.status_code >= 400:
            db.session.rollback()
            assert counts() == before, (target, fields)
            assert media(app) == files_before, (target, fields)
        elif path == "/signup":
            client.post("/signout", data={"csrf_token": token})

    run()
