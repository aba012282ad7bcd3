"""Against moto in server mode: a real S3 HTTP endpoint on loopback, versioning on."""

import threading
import time

import boto3
import pytest

from executors.s3 import S3Executor, S3Target
from tests.servers import start_moto, stop


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    url, process = start_moto(tmp_path_factory.mktemp("moto"))
    yield url
    stop(process)


@pytest.fixture
def bucket(endpoint):
    name = f"ringo-{time.monotonic_ns()}"
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name, s3


def s3_executor(endpoint, name) -> S3Executor:
    target = S3Target(bucket=name, endpoint_url=endpoint, access_key="test", secret_key="test")
    return S3Executor(target=target, timeout=30)


def run(ex, action, **args):
    spec = ex.render({"action": action, "args": args}, {})
    lines = []
    result = ex.run(spec, lambda s, t: lines.append(t), threading.Event())
    return result, "".join(lines)


def test_backups_are_listed_newest_first_and_the_latest_is_an_output(endpoint, bucket):
    name, s3 = bucket
    for day in ("20240113", "20240115", "20240114"):
        s3.put_object(Bucket=name, Key=f"postgres/full/ringo_{day}_020000.sql.gz", Body=b"x")
        time.sleep(1.1)
    result, text = run(s3_executor(endpoint, name), "list", prefix="postgres/full/")
    keys = [line.split()[-1] for line in text.splitlines()[:3]]
    assert keys == [
        f"postgres/full/ringo_{d}_020000.sql.gz" for d in ("20240114", "20240115", "20240113")
    ]
    assert result.outputs["latest_key"] == "postgres/full/ringo_20240114_020000.sql.gz"


def test_an_object_is_downloaded_with_progress(endpoint, bucket, tmp_path):
    name, s3 = bucket
    s3.put_object(Bucket=name, Key="postgres/full/latest.sql.gz", Body=b"0123456789" * 10000)
    target = tmp_path / "backup.sql.gz"
    result, text = run(
        s3_executor(endpoint, name), "download", key="postgres/full/latest.sql.gz", file=str(target)
    )
    assert result.status == "succeeded"
    assert target.read_bytes() == b"0123456789" * 10000
    assert "downloaded 100%" in text


def test_a_deleted_media_object_is_brought_back_from_its_previous_version(
    endpoint, bucket, tmp_path
):
    name, s3 = bucket
    key = "media/orders/123/photo.jpg"
    s3.put_object(Bucket=name, Key=key, Body=b"the photo")
    s3.delete_object(Bucket=name, Key=key)
    ex = s3_executor(endpoint, name)
    result, text = run(ex, "list_versions", prefix=key)
    assert "delete marker latest" in text and "object was deleted" in text
    version = result.outputs["previous_version_id"]
    saved = tmp_path / "restored.jpg"
    assert (
        run(ex, "get_version", key=key, version_id=version, file=str(saved))[0].status
        == "succeeded"
    )
    assert saved.read_bytes() == b"the photo"
    assert run(ex, "restore_version", key=key, version_id=version)[0].status == "succeeded"
    assert s3.get_object(Bucket=name, Key=key)["Body"].read() == b"the photo"


def test_versioning_and_lifecycle_are_reported(endpoint, bucket):
    name, s3 = bucket
    ex = s3_executor(endpoint, name)
    assert run(ex, "versioning")[1] == f"versioning of {name}: Enabled\n"
    result, text = run(ex, "lifecycle")
    assert result.status == "failed" and "no lifecycle configuration" in text
    s3.put_bucket_lifecycle_configuration(
        Bucket=name,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "expire-backups",
                    "Status": "Enabled",
                    "Filter": {"Prefix": "postgres/"},
                    "Expiration": {"Days": 30},
                }
            ]
        },
    )
    result, text = run(ex, "lifecycle")
    assert result.status == "succeeded" and "expire-backups" in text


def test_a_glacier_restore_is_requested_and_its_status_reported(endpoint, bucket):
    name, s3 = bucket
    s3.put_object(Bucket=name, Key="media/old.jpg", Body=b"old", StorageClass="GLACIER")
    result, text = run(
        s3_executor(endpoint, name), "restore_object", key="media/old.jpg", days=7, tier="Expedited"
    )
    assert result.status == "succeeded", text
    assert "restore requested" in text and "storage class GLACIER" in text


def test_a_missing_object_fails_with_the_stores_error(endpoint, bucket, tmp_path):
    name, _ = bucket
    result, text = run(
        s3_executor(endpoint, name), "download", key="nope", file=str(tmp_path / "x")
    )
    assert result.status == "failed"
    assert "404" in text
