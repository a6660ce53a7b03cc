"""Where the files the portal keeps live: this machine's disk, or S3-compatible object storage.

The embedded default is the local disk (MEDIA_ROOT), so `./dev demo` needs nothing. A portal on more
than one machine names a bucket (AWS_STORAGE_BUCKET_NAME): customers' photos then go to it through
django-storages and boto3, and every web and worker machine reads what any other wrote.

Objects are private. An upload carries no ACL, so each object gets the bucket's default: the owner's
alone on AWS S3 (whose new buckets refuse every ACL but the owner's), on MinIO and on the
S3-compatible providers. Nothing in the portal links to the store: staff open a photo through the
portal (`returns.admin_photos`), behind their login and permission, and should anything ask the
storage for a URL, it is signed and lives five minutes.
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings

DISK: dict[str, Any] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
S3_BACKEND = "storages.backends.s3.S3Storage"
SIGNED_URL_SECONDS = 300
# A file larger than this is read from the store into a temporary file, not into memory (django-storages
# keeps all of it in memory otherwise); Django spools uploads to disk above the same size.
SPOOL_BYTES = 2_621_440
# One customer's upload waits at most this long for a store that does not answer, then they are told.
CONNECT_SECONDS, READ_SECONDS, ATTEMPTS = 3, 20, 3
HEALTH_SECONDS = 1


def object_storage(
    *,
    bucket: str,
    endpoint_url: str,
    region: str,
    addressing_style: str,
    access_key: str,
    secret_key: str,
) -> dict[str, Any]:
    """The STORAGES entry for a bucket. Empty keys leave boto3 to find them (an AWS instance or task role)."""
    from botocore.config import Config

    return {
        "BACKEND": S3_BACKEND,
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,
            "region_name": region or None,
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": SIGNED_URL_SECONDS,
            # Names are made unique before saving (a UUID per photo); asking first whether one exists
            # would cost a request per upload and protect nothing.
            "file_overwrite": True,
            "max_memory_size": SPOOL_BYTES,
            "client_config": Config(
                s3={"addressing_style": addressing_style},
                connect_timeout=CONNECT_SECONDS,
                read_timeout=READ_SECONDS,
                retries={"mode": "standard", "total_max_attempts": ATTEMPTS},
            ),
        },
    }


def object_storage_problems(
    *, bucket: str, endpoint_url: str, region: str, access_key: str, secret_key: str
) -> list[str]:
    """What is wrong with the object-storage variables taken together, one line each (see `returns_portal.env`)."""
    problems = []
    given = {"AWS_S3_ENDPOINT_URL": endpoint_url, "AWS_S3_REGION_NAME": region, "AWS_ACCESS_KEY_ID": access_key}
    if not bucket:
        stray = [name for name, value in given.items() if value]
        if stray:
            problems.append(
                f"Configuration error: {', '.join(stray)} without AWS_STORAGE_BUCKET_NAME: name the bucket, "
                "or photos stay on this machine's disk."
            )
        return problems
    if bool(access_key) != bool(secret_key):
        problems.append("Configuration error: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together: set both.")
    if endpoint_url and not access_key:
        problems.append(
            "Configuration error: AWS_S3_ENDPOINT_URL names a provider other than AWS, which needs "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."
        )
    return problems


def uses_object_storage() -> bool:
    return bool(settings.STORAGES["default"]["BACKEND"] == S3_BACKEND)


def store_errors() -> tuple[type[BaseException], ...]:
    """What a storage raises when it cannot keep or give back a file: the disk's errors, boto3's and botocore's."""
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError

    return (OSError, Boto3Error, BotoCoreError, ClientError)


def object_store_status() -> str | None:
    """For /healthz: ok, or error and why; None on the local disk. One HEAD of the bucket, one try, 1 s at most."""
    if not uses_object_storage():
        return None
    from botocore.exceptions import BotoCoreError, ClientError
    from django.core.files.storage import storages

    storage = storages["default"]
    try:
        _health_client(_client_key(storage)).head_bucket(Bucket=storage.bucket_name)  # type: ignore[attr-defined]
    except ClientError as problem:
        return f"error: {problem.response.get('Error', {}).get('Code', 'ClientError')}"
    except BotoCoreError as problem:
        return f"error: {problem.__class__.__name__}"
    return "ok"


def _client_key(storage: Any) -> tuple[Any, ...]:
    return (
        storage.endpoint_url,
        storage.region_name,
        storage.access_key,
        storage.secret_key,
        storage.client_config.s3.get("addressing_style") if storage.client_config.s3 else None,
    )


@functools.lru_cache(maxsize=4)
def _health_client(key: tuple[Any, ...]) -> Any:
    """A client of its own with a short timeout and no retries: a health check must answer fast, either way."""
    import boto3
    from botocore.config import Config

    endpoint_url, region, access_key, secret_key, addressing_style = key
    config = Config(
        s3={"addressing_style": addressing_style or "auto"},
        connect_timeout=HEALTH_SECONDS,
        read_timeout=HEALTH_SECONDS,
        retries={"mode": "standard", "total_max_attempts": 1},
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=config,
    )
