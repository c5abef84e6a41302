"""The user logo: type and size checked, re-encoded so no EXIF (and no GPS) survives."""

import io

import pytest
from django.test import Client
from PIL import Image

from piwarden.accounts import services

pytestmark = pytest.mark.django_db
GPS_IFD = 0x8825


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (800, 600), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0112] = 6  # orientation: rotate 90° when displayed
    exif[GPS_IFD] = {1: "N", 2: (39.0, 54.0, 26.0), 3: "E", 4: (116.0, 23.0, 29.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)
    return data


def upload(client, data: bytes, name="me.jpg"):
    handle = io.BytesIO(data)
    handle.name = name
    return client.post("/api/v1/account/avatar", {"file": handle})


def test_uploaded_avatar_is_stored_without_exif_or_gps(account, client_for):
    client = client_for(account)
    response = upload(client, jpeg_with_gps())
    assert response.status_code == 200, response.content
    assert response.json()["has_avatar"] is True
    account.refresh_from_db()
    stored = services.avatar_path(account).read_bytes()
    assert b"SpyCam" not in stored and b"Exif" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "PNG"
        assert not image.getexif().get_ifd(GPS_IFD)
        assert len(image.getexif()) == 0
        assert image.size == (384, 512)  # orientation applied, then scaled to 512
    served = client.get("/api/v1/account/avatar")
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == stored


def test_deleting_the_avatar(account, client_for):
    client = client_for(account)
    upload(client, jpeg_with_gps())
    account.refresh_from_db()
    assert services.avatar_path(account).exists()
    response = client.delete("/api/v1/account/avatar")
    assert response.status_code == 200 and response.json()["has_avatar"] is False
    assert client.get("/api/v1/account/avatar").status_code == 404


@pytest.mark.parametrize("data, name, status, code", [
    (b"%PDF-1.4 not an image", "x.pdf", 422, "AVATAR_TYPE"),
    (b"GIF89a garbage", "x.gif", 422, "AVATAR_TYPE"),
    (b"", "empty.png", 422, "VALIDATION_ERROR"),
])
def test_bad_uploads_are_refused(account, client_for, data, name, status, code):
    response = upload(client_for(account), data, name)
    if data:
        assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    else:
        assert 400 <= response.status_code < 500
    account.refresh_from_db()
    assert account.avatar == ""


def test_other_image_types_are_refused(account, client_for):
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="BMP")
    response = upload(client_for(account), out.getvalue(), "x.bmp")
    assert response.json()["error"]["code"] == "AVATAR_TYPE"


def test_too_large_uploads_are_refused(account, client_for, settings):
    settings.PIWARDEN_AVATAR_MAX_BYTES = 1000
    response = upload(client_for(account), jpeg_with_gps())
    assert (response.status_code, response.json()["error"]["code"]) == (413,
                                                                         "AVATAR_TOO_LARGE")


def test_old_file_is_deleted_after_commit(account, django_capture_on_commit_callbacks):
    services.set_avatar(account=account, data=jpeg_with_gps())
    first = services.avatar_path(account)
    with django_capture_on_commit_callbacks(execute=True):
        services.set_avatar(account=account, data=jpeg_with_gps())
    assert not first.exists() and services.avatar_path(account).exists()
    second = services.avatar_path(account)
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_avatar(account=account)
    assert not second.exists()


def test_avatar_of_another_person_is_not_reachable(make_account, client_for):
    alice, bob = make_account(), make_account()
    upload(client_for(alice), jpeg_with_gps())
    assert client_for(bob).get("/api/v1/account/avatar").status_code == 404
    assert Client().get("/api/v1/account/avatar").status_code == 401
