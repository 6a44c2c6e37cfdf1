"""Media storage: local files by default, ImageKit through its official SDK when configured."""

import io

import pytest
from PIL import Image

from app.services import accounts
from app.services.errors import NotFound
from app.services.media import media_url, storage
from app.services.media.storage import ImageKitStorage, LocalStorage
from tests.factories import UserFactory, make_image
from tests.fakes.imagekit import FakeImageKit

ENDPOINT = "https://ik.imagekit.io/dreamdot"


@pytest.fixture
def fake_imagekit():
    fake = FakeImageKit().start()
    yield fake
    fake.stop()


@pytest.fixture
def imagekit_app(make_app, fake_imagekit):
    return make_app(IMAGEKIT_PRIVATE_KEY=fake_imagekit.private_key, IMAGEKIT_PUBLIC_KEY="public_test",
                    IMAGEKIT_URL_ENDPOINT=ENDPOINT + "/", IMAGEKIT_API_BASE=fake_imagekit.url)


def test_local_storage_is_the_default(app):
    assert isinstance(storage(), LocalStorage)
    key = storage().save("public/x", b"data", "bin", "application/octet-stream")
    assert key.startswith("public/x/") and key.endswith(".bin")
    assert storage().read(key) == b"data"
    assert media_url(key) == f"/media/{key}"
    storage().delete(key)
    with pytest.raises(NotFound):
        storage().read(key)


@pytest.mark.parametrize("key", ["../etc/passwd", "/etc/passwd", "public/../../x", "public\\..\\x"])
def test_local_storage_refuses_keys_leaving_its_root(app, key):
    with pytest.raises(NotFound):
        storage().read(key)


def test_media_route_serves_only_public_keys(client):
    public = storage().save("public/x", b"for everyone", "bin", "application/octet-stream")
    with client.get(f"/media/{public}") as response:
        assert response.status_code == 200 and response.data == b"for everyone"
    key = storage().save("private/x", b"secret", "bin", "application/octet-stream")
    for path in (f"/media/{key}", "/media/public/../private/x"):
        with client.get(path) as response:
            assert response.status_code == 404
            assert b"secret" not in response.data and 'id="error-404"' in response.text


def test_avatar_upload_goes_to_imagekit(imagekit_app, fake_imagekit):
    with imagekit_app.app_context():
        assert isinstance(storage(), ImageKitStorage)
        user = UserFactory(username="ikuser")
        accounts.update_profile(user, avatar=io.BytesIO(make_image("PNG", size=(500, 300))))
        key = user.avatar_key
        url = media_url(key)
        old_key = key
        accounts.update_profile(user, avatar=io.BytesIO(make_image("JPEG")))

    upload = fake_imagekit.requests[0]
    assert (upload.method, upload.path) == ("POST", "/api/v1/files/upload")
    assert upload.form["folder"] == "/public/profiles"
    assert upload.form["fileName"].endswith(".webp")
    assert upload.form["useUniqueFileName"] == "false"
    assert upload.form["isPrivateFile"] == "false"
    filename, data, _ = upload.files["file"]
    assert filename == upload.form["fileName"]
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size) == ("WEBP", (400, 400))
    # The URL is built on IMAGEKIT_URL_ENDPOINT from the path ImageKit returned.
    assert url == f"{ENDPOINT}/public/profiles/{upload.form['fileName']}"
    # Replacing the avatar deleted the old file at ImageKit by its id.
    file_id = old_key.split("/")[1]
    deletes = [r for r in fake_imagekit.requests if r.method == "DELETE"]
    assert [d.path for d in deletes] == [f"/v1/files/{file_id}"]
    assert file_id not in fake_imagekit.stored and len(fake_imagekit.stored) == 1


def test_imagekit_urls_are_allowed_by_the_csp(imagekit_app):
    response = imagekit_app.test_client().get("/")
    assert ENDPOINT in response.headers["Content-Security-Policy"]


def test_imagekit_private_files_and_bad_keys(imagekit_app, fake_imagekit):
    with imagekit_app.app_context():
        key = storage().save("items/files", b"zip", "zip", "application/zip")
        assert fake_imagekit.requests[-1].form["isPrivateFile"] == "true"
        assert key.startswith("ik/")
        with pytest.raises(NotFound):
            storage().delete("ik/../x")
        storage().delete(key)
    assert fake_imagekit.stored == {}
