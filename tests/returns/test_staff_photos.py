"""Customers' photos of defects: staff with the right to see returns see them, nobody else, never from a public URL."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from returns.models import ReturnPhoto, ReturnRequest
from returns.services import LineRequest, return_create
from tests.factories import OrderLineFactory
from tests.returns.photo_data import add_photo, jpeg

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_of_its_own(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def staff_client(client: Client, group: str | None) -> Client:
    user = User.objects.create_user(f"user-{group}", password="x", is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return client


def a_defect_claim(lines: int = 1) -> ReturnRequest:
    order_lines = [OrderLineFactory()]
    order_lines += [OrderLineFactory(order=order_lines[0].order) for _ in range(lines - 1)]
    return return_create(
        order=order_lines[0].order,
        lines=[LineRequest(line.id, 1, "defective") for line in order_lines],
        resolution="refund",
        method="label",
        by=User.objects.get_or_create(username="desk", is_staff=True)[0],  # staff: no photo needed to create it
    )


def photo_url(photo: ReturnPhoto, thumb: bool = False) -> str:
    return reverse("admin:returns_returnrequest_photo", args=[photo.pk]) + ("?size=thumb" if thumb else "")


@pytest.mark.parametrize("group", ["Warehouse", "Support"])
def test_staff_who_may_see_returns_get_the_photo_inline_private_and_not_sniffed(client: Client, group: str) -> None:
    content = jpeg()
    photo = add_photo(a_defect_claim().lines.get(), content)
    response = staff_client(client, group).get(photo_url(photo))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]


def test_the_thumbnail_is_a_small_jpeg_of_the_same_photo(client: Client) -> None:
    photo = add_photo(a_defect_claim().lines.get(), jpeg((3000, 2000)))
    response = staff_client(client, "Support").get(photo_url(photo, thumb=True))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(response.content)) as thumbnail:
        assert max(thumbnail.size) <= 320
        assert thumbnail.size[0] > thumbnail.size[1]  # the shape kept


def test_anonymous_visitors_and_users_without_the_right_get_no_photo(client: Client) -> None:
    photo = add_photo(a_defect_claim().lines.get())
    anonymous = client.get(photo_url(photo))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/admin/login/")
    assert client.get(photo_url(photo, thumb=True)).status_code == 302
    customer = Client()
    customer.force_login(User.objects.create_user("customer", password="x"))  # not staff
    assert customer.get(photo_url(photo)).status_code == 302
    assert staff_client(Client(), None).get(photo_url(photo)).status_code == 403  # staff, but no role


def test_photos_not_attached_to_a_return_and_unknown_ids_are_not_found(client: Client) -> None:
    line = a_defect_claim().lines.get()
    draft = add_photo(line)
    ReturnPhoto.objects.filter(pk=draft.pk).update(return_line=None)  # a draft the customer never confirmed
    agent = staff_client(client, "Support")
    assert agent.get(photo_url(draft)).status_code == 404
    assert agent.get(reverse("admin:returns_returnrequest_photo", args=[draft.pk + 1000])).status_code == 404


def test_no_public_url_serves_the_uploads(client: Client) -> None:
    photo = add_photo(a_defect_claim().lines.get())
    stored = Path(settings.MEDIA_ROOT) / photo.image.name
    assert stored.exists()
    agent = staff_client(Client(), "Support")
    for path in (photo.image.url, "/" + photo.image.name, f"/static/{photo.image.name}"):
        assert client.get(path).status_code == 404, path
        assert agent.get(path).status_code == 404, path
    # WhiteNoise serves the static folders: uploads must never sit inside one of them.
    for folder in [settings.STATIC_ROOT, *settings.STATICFILES_DIRS]:
        assert not Path(settings.MEDIA_ROOT).resolve().is_relative_to(Path(folder).resolve())


def test_a_stored_type_outside_the_checked_images_is_served_as_a_download_of_bytes(client: Client) -> None:
    photo = add_photo(a_defect_claim().lines.get(), b"<svg onload=alert(1)>", content_type="image/svg+xml")
    response = staff_client(client, "Warehouse").get(photo_url(photo))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_receiving_screen_shows_each_lines_photos_in_a_fixed_number_of_queries(client: Client) -> None:
    warehouse = staff_client(client, "Warehouse")
    few = a_defect_claim()
    add_photo(few.lines.get())
    many = a_defect_claim(lines=3)
    photos = [add_photo(line) for line in many.lines.all() for _ in range(2)]
    counts = []
    for return_request in (few, few, many):  # the first visit warms the policy cache and the session
        with CaptureQueriesContext(connection) as queries:
            page = warehouse.get(reverse("admin:returns_returnrequest_receive", args=[return_request.pk]))
        counts.append(len(queries))
    html = page.content.decode()
    for photo in photos:
        assert f'href="{photo_url(photo)}"' in html  # the thumbnail opens the full photo
        assert f'src="{photo_url(photo, thumb=True)}"' in html
    assert "/media/" not in html
    assert counts[1] == counts[2], counts


def test_the_returns_admin_page_shows_the_photos_in_a_fixed_number_of_queries(client: Client) -> None:
    agent = staff_client(client, "Support")
    few = a_defect_claim()
    add_photo(few.lines.get())
    many = a_defect_claim(lines=3)
    photos = [add_photo(line) for line in many.lines.all() for _ in range(2)]
    counts = []
    for return_request in (few, few, many):
        with CaptureQueriesContext(connection) as queries:
            page = agent.get(reverse("admin:returns_returnrequest_change", args=[return_request.pk]))
        assert page.status_code == 200
        counts.append(len(queries))
    html = page.content.decode()
    for photo in photos:
        assert f'href="{photo_url(photo)}"' in html
    assert "/media/" not in html
    assert counts[1] == counts[2], counts
