"""Customers' photos in S3-compatible object storage (a moto server on localhost): private objects, staff
reading them through the portal, a store that fails, erasure, /healthz and the start-up checks."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import requests
from botocore.exceptions import EndpointConnectionError
from django.contrib.auth.models import Group, User
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from PIL import Image

from returns import access
from returns.models import Order, ReturnPhoto, ReturnRequest
from returns.photos import PhotosNotStored, photo_prepare, photos_store_draft
from returns.services import LineRequest, return_create
from returns_portal.privacy.models import Why
from returns_portal.privacy.services import erase_returns, person_forget
from tests.conftest import ObjectStore
from tests.factories import OrderLineFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def upload(name: str = "crack.jpg", colour: str = "red") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def a_defect_claim_with_a_photo() -> tuple[ReturnRequest, ReturnPhoto]:
    line = OrderLineFactory()
    photos_store_draft(draft_key="draft-1", photos={line.id: [photo_prepare(upload())]})
    return_request = return_create(
        order=line.order,
        lines=[LineRequest(line.id, 1, "defective")],
        resolution="refund",
        method="label",
        photo_draft_key="draft-1",
    )
    return return_request, ReturnPhoto.objects.get(return_line__return_request=return_request)


def post_items(client: Client, order: Order, files: dict[str, Any]) -> Any:
    data: dict[str, Any] = {}
    for line in order.lines.all():
        data |= {f"qty_{line.id}": 1, f"reason_{line.id}": "defective", f"comment_{line.id}": ""}
    return client.post(reverse("returns:items", args=[access.order_token(order)]), data | files)


# --- Where the photos go, and who may read them ---------------------------------------------------


def test_a_customers_photo_goes_to_the_bucket_and_nothing_to_the_local_disk(
    client: Client, object_store: ObjectStore, settings: Any
) -> None:
    line = OrderLineFactory()
    response = post_items(client, line.order, {f"photos_{line.id}": upload()})
    assert response.status_code == 302
    photo = ReturnPhoto.objects.get()
    assert object_store.keys() == [photo.image.name]
    assert photo.image.name.startswith("return-photos/")
    assert not Path(settings.MEDIA_ROOT).exists()


def test_an_object_is_not_readable_without_the_portal(object_store: ObjectStore) -> None:
    _return, photo = a_defect_claim_with_a_photo()
    plain = f"{object_store.endpoint}/{object_store.bucket}/{photo.image.name}"
    assert requests.get(plain, timeout=5).status_code == 403
    acl = object_store.client.get_object_acl(Bucket=object_store.bucket, Key=photo.image.name)
    assert [grant["Permission"] for grant in acl["Grants"]] == ["FULL_CONTROL"]  # the owner's, and no one else's
    signed = default_storage.url(photo.image.name)
    assert "X-Amz-Signature=" in signed and "X-Amz-Expires=300" in signed  # should anything ever ask for a URL


def test_staff_read_the_photo_through_the_portal(client: Client, object_store: ObjectStore, settings: Any) -> None:
    _return, photo = a_defect_claim_with_a_photo()
    stored = object_store.client.get_object(Bucket=object_store.bucket, Key=photo.image.name)["Body"].read()
    staff = User.objects.create_user("warehouse", password="x", is_staff=True)
    staff.groups.add(Group.objects.get(name="Warehouse"))
    client.force_login(staff)
    url = reverse("admin:returns_returnrequest_photo", args=[photo.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == stored
    assert client.get(url + "?size=thumb")["Content-Type"] == "image/jpeg"
    assert not Path(settings.MEDIA_ROOT).exists()


def test_staff_are_told_when_the_store_cannot_be_reached(admin_client: Client, object_store: ObjectStore) -> None:
    _return, photo = a_defect_claim_with_a_photo()
    object_store.client.delete_object(Bucket=object_store.bucket, Key=photo.image.name)
    url = reverse("admin:returns_returnrequest_photo", args=[photo.pk])
    assert admin_client.get(url).status_code == 404  # the object is gone
    unreachable = EndpointConnectionError(endpoint_url=object_store.endpoint)
    with mock.patch("storages.backends.s3.S3Storage._open", side_effect=unreachable):
        response = admin_client.get(url)
    assert response.status_code == 503
    assert response["Retry-After"] == "60"


# --- A store that fails keeps nothing ------------------------------------------------------------


def test_when_the_store_fails_the_customer_is_told_and_nothing_is_kept(
    client: Client, object_store: ObjectStore
) -> None:
    line = OrderLineFactory(order__language="en")
    object_store.client.delete_bucket(Bucket=object_store.bucket)  # every upload fails now
    response = post_items(client, line.order, {f"photos_{line.id}": upload()})
    assert response.status_code == 200
    assert "Your photos could not be saved just now." in response.content.decode()
    assert ReturnPhoto.objects.count() == 0


def test_when_the_second_photo_fails_the_first_is_deleted_again(object_store: ObjectStore) -> None:
    line = OrderLineFactory()
    save = default_storage.save
    calls: list[str] = []

    def fails_the_second_time(name: str, content: Any) -> str:
        calls.append(name)
        if len(calls) == 2:
            raise EndpointConnectionError(endpoint_url=object_store.endpoint)
        return save(name, content)

    photos = [photo_prepare(upload(colour="red")), photo_prepare(upload(colour="blue"))]
    failing = mock.patch.object(default_storage, "save", side_effect=fails_the_second_time)
    with failing, pytest.raises(PhotosNotStored):
        photos_store_draft(draft_key="draft-2", photos={line.id: photos})
    assert len(calls) == 2
    assert ReturnPhoto.objects.count() == 0
    assert object_store.keys() == []


# --- Erasure and retention delete the objects ------------------------------------------------------


def test_erasing_a_return_deletes_its_photo_from_the_bucket(
    object_store: ObjectStore, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    return_request, _photo = a_defect_claim_with_a_photo()
    assert len(object_store.keys()) == 1
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        erase_returns([return_request.pk], why=Why.RETENTION)  # what the retention sweep does to an old return
    assert object_store.keys() == []


def test_forgetting_a_person_deletes_the_photos_they_never_sent(
    object_store: ObjectStore, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    line = OrderLineFactory()
    photos_store_draft(draft_key="draft-3", photos={line.id: [photo_prepare(upload())]})
    with django_capture_on_commit_callbacks(execute=True):
        person_forget(email=line.order.customer.email)
    assert object_store.keys() == []


# --- /healthz --------------------------------------------------------------------------------------


def test_healthz_reports_the_object_store(client: Client, object_store: ObjectStore) -> None:
    assert client.get("/healthz").json()["object_store"] == "ok"
    object_store.client.delete_bucket(Bucket=object_store.bucket)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["object_store"] == "error: 404"
    assert response.json()["failing"] == ["object_store"]


def test_healthz_says_nothing_of_an_object_store_on_the_local_disk(client: Client) -> None:
    assert "object_store" not in client.get("/healthz").json()


# --- Start-up -------------------------------------------------------------------------------------


def manage_check(**variables: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **variables}
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("variables", "problem"),
    [
        ({"AWS_S3_ENDPOINT_URL": "https://s3.example"}, "AWS_S3_ENDPOINT_URL without AWS_STORAGE_BUCKET_NAME"),
        (
            {"AWS_STORAGE_BUCKET_NAME": "photos", "AWS_ACCESS_KEY_ID": "key"},
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together",
        ),
        (
            {"AWS_STORAGE_BUCKET_NAME": "photos", "AWS_S3_ENDPOINT_URL": "https://s3.example"},
            "AWS_S3_ENDPOINT_URL names a provider other than AWS, which needs AWS_ACCESS_KEY_ID",
        ),
        ({"AWS_STORAGE_BUCKET_NAME": "photos", "AWS_S3_ENDPOINT_URL": "s3.example"}, "AWS_S3_ENDPOINT_URL must be"),
        ({"AWS_STORAGE_BUCKET_NAME": "photos", "AWS_S3_ADDRESSING_STYLE": "dns"}, "must be one of auto, path"),
    ],
)
def test_object_storage_variables_that_do_not_fit_stop_start_up(variables: dict[str, str], problem: str) -> None:
    result = manage_check(**variables)
    assert result.returncode != 0
    assert problem in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bucket_with_an_instance_role_needs_no_keys() -> None:
    result = manage_check(AWS_STORAGE_BUCKET_NAME="photos", AWS_S3_REGION_NAME="eu-north-1")
    assert result.returncode == 0, result.stderr
