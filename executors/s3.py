"""S3 and S3-compatible stores (boto3 with a configurable endpoint_url).

Listing backups newest first, downloads and uploads with progress, object versions (list, fetch,
make an old version current again), Glacier restores and their status, versioning and
lifecycle configuration.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from threading import Event, Lock
from typing import TYPE_CHECKING, Any, ClassVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from executors.base import (
    SYSTEM_PREFIX,
    Emit,
    ExecutorError,
    Result,
    Spec,
    human_bytes,
    render_args,
    require,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CopySourceTypeDef

TIERS = ("Expedited", "Standard", "Bulk")


@dataclass(frozen=True)
class S3Target:
    bucket: str
    endpoint_url: str | None = None
    region: str = "us-east-1"
    access_key: str | None = None
    secret_key: str | None = None


class _Progress:
    """boto3 transfer callback: a line at every tenth of the object."""

    def __init__(self, emit: Emit, total: int, verb: str) -> None:
        self.emit, self.total, self.verb = emit, max(total, 1), verb
        self.done, self.next_tenth, self.lock = 0, 1, Lock()

    def __call__(self, count: int) -> None:
        with self.lock:
            self.done += count
            while self.done * 10 >= self.next_tenth * self.total and self.next_tenth <= 10:
                self.emit(
                    "stdout", f"{self.verb} {self.next_tenth * 10}% ({human_bytes(self.done)})\n"
                )
                self.next_tenth += 1


class S3Executor:
    kind: ClassVar[str] = "s3"
    ACTIONS = (
        "list",
        "download",
        "upload",
        "list_versions",
        "get_version",
        "restore_version",
        "restore_object",
        "restore_status",
        "versioning",
        "lifecycle",
    )
    REQUIRED = {
        "download": ("key", "file"),
        "upload": ("file", "key"),
        "get_version": ("key", "version_id", "file"),
        "restore_version": ("key", "version_id"),
        "restore_object": ("key",),
        "restore_status": ("key",),
    }

    def __init__(self, *, target: S3Target, timeout: float) -> None:
        self.target = target
        self.timeout = timeout

    def client(self) -> S3Client:
        config = Config(
            connect_timeout=10, read_timeout=min(self.timeout, 300), retries={"max_attempts": 3}
        )
        return boto3.client(
            "s3",
            endpoint_url=self.target.endpoint_url,
            region_name=self.target.region,
            aws_access_key_id=self.target.access_key,
            aws_secret_access_key=self.target.secret_key,
            config=config,
        )

    def render(self, step: Mapping[str, Any], params: Mapping[str, Any]) -> Spec:
        action = step.get("action")
        if action not in self.ACTIONS:
            raise ExecutorError(f"s3 action must be one of {self.ACTIONS}")
        args = render_args(step.get("args", {}), params)
        require(args, *self.REQUIRED.get(action, ()))
        if action == "restore_object" and args.get("tier", "Standard") not in TIERS:
            raise ExecutorError(f"tier must be one of {TIERS}")
        return {"action": action, **{k: v for k, v in args.items() if v not in (None, "")}}

    def describe(self, spec: Spec) -> str:
        details = " ".join(f"{k}={v}" for k, v in spec.items() if k != "action")
        return f"s3 {spec['action']} s3://{self.target.bucket} {details}".rstrip()

    def run(self, spec: Spec, emit: Emit, cancel: Event) -> Result:
        try:
            action: Callable[[S3Client, Spec, Emit], Result] = getattr(self, f"_{spec['action']}")
            return action(self.client(), spec, emit)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "Error")
            message = error.response.get("Error", {}).get("Message", str(error))
            emit("stderr", f"{SYSTEM_PREFIX}{code}: {message}\n")
            return Result("failed", None, code)
        except BotoCoreError as error:
            emit("stderr", f"{SYSTEM_PREFIX}{error}\n")
            return Result("failed", None, type(error).__name__)

    def _list(self, s3: S3Client, spec: Spec, emit: Emit) -> Result:
        limit = int(spec.get("limit", 20))
        objects = []
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.target.bucket, Prefix=spec.get("prefix", "")
        ):
            objects.extend(page.get("Contents", []))
        objects.sort(key=lambda o: (o["LastModified"], o["Key"]), reverse=True)
        for obj in objects[:limit]:
            emit(
                "stdout",
                f"{obj['LastModified']:%Y-%m-%d %H:%M:%S}  "
                f"{human_bytes(obj['Size']):>10}  {obj['Key']}\n",
            )
        emit(
            "stdout",
            f"{len(objects)} objects under s3://{self.target.bucket}/{spec.get('prefix', '')}\n",
        )
        outputs: dict[str, Any] = {"count": len(objects)}
        if objects:
            newest = objects[0]
            outputs.update(
                latest_key=newest["Key"], latest_modified=newest["LastModified"].isoformat()
            )
        return Result("succeeded", 0, outputs=outputs)

    def _download(self, s3: S3Client, spec: Spec, emit: Emit) -> Result:
        size = s3.head_object(Bucket=self.target.bucket, Key=spec["key"])["ContentLength"]
        path = Path(spec["file"])
        path.parent.mkdir(parents=True, exist_ok=True)
        emit(
            "stdout",
            f"downloading s3://{self.target.bucket}/{spec['key']} "
            f"({human_bytes(size)}) to {path}\n",
        )
        s3.download_file(
            self.target.bucket, spec["key"], str(path), Callback=_Progress(emit, size, "downloaded")
        )
        return Result("succeeded", 0, outputs={"file": str(path), "bytes": size})

    def _upload(self, s3: S3Client, spec: Spec, emit: Emit) -> Result:
        path = Path(spec["file"])
        if not path.is_file():
            emit("stderr", f"{SYSTEM_PREFIX}{path} does not exist\n")
            return Result("failed", None, "file missing")
        size = path.stat().st_size
        s3.upload_file(
            str(path), self.target.bucket, spec["key"], Callback=_Progress(emit, size, "uploaded")
        )
        emit("stdout", f"uploaded {path} to s3://{self.target.bucket}/{spec['key']}\n")
        return Result("succeeded", 0, outputs={"key": spec["key"], "bytes": size})

    def _list_versions(self, s3: S3Client, spec: Spec, emit: Emit) -> Result:
        response = s3.list_object_versions(Bucket=self.target.bucket, Prefix=spec.get("prefix", ""))
        entries: list[tuple[Mapping[str, Any], str]]
        entries = [(v, "version") for v in response.get("Versions", [])]
        entries += [(m, "delete marker") for m in response.get("DeleteMarkers", [])]
        entries.sort(key=lambda e: e[0]["LastModified"], reverse=True)
        for entry, kind in entries:
            latest = " latest" if entry.get("IsLatest") else ""
            size = human_bytes(entry["Size"]) if "Size" in entry else "-"
            emit(
                "stdout",
                f"{entry['LastModified']:%Y-%m-%d %H:%M:%S}  {entry['VersionId']}  "
                f"{kind}{latest}  {size}  {entry['Key']}\n",
            )
        restorable = [v for v, kind in entries if kind == "version" and not v.get("IsLatest")]
        outputs: dict[str, Any] = {"versions": len(entries)}
        if restorable:
            outputs["previous_version_id"] = restorable[0]["VersionId"]
            outputs["key"] = restorable[0]["Key"]
        latest_marker = [m for m, kind in entries if kind == "delete marker" and m.get("IsLatest")]
        if latest_marker:
            emit("stdout", "the current version is a delete marker: the object was deleted\n")
            versions = [v for v, kind in entries if kind == "version"]
            if versions:
                outputs["previous_version_id"] = versions[0]["VersionId"]
                outputs["key"] = versions[0]["Key"]
        return Result("succeeded", 0, outputs=outputs)

    def _get_version(self, s3: S3Client, spec: Spec, emit: Emit) -> Result:
        path = Path(spec["file"])
        path.parent.mkdir(parents=True, exist_ok=True)
        response = s3.get_object(
            Bucket=self.target.bucket, Key=spec["key"], VersionId=spec["version_id"]
        )
        path.write_bytes(response["Body"].read())
        emit(
            "stdout",
            f"saved version {spec['version_id']} of {spec['key']} to {path} "
            f"({human_bytes(path.stat().st_size)})\n",
        )
        return Result("succeeded", 0, outputs={"file": str(path)})

    def _restore_version(self, s3: S3Client, spec: Spec, emit: Emit) -> Result:
        source: CopySourceTypeDef = {
            "Bucket": self.target.bucket,
            "Key": spec["key"],
            "VersionId": spec["version_id"],
        }
        response = s3.copy_object(Bucket=self.target.bucket, Key=spec["key"], CopySource=source)
        new_version = response.get("VersionId", "")
        emit(
            "stdout",
            f"version {spec['version_id']} of {spec['key']} is current again "
            f"(new version {new_version})\n",
        )
        return Result("succeeded", 0, outputs={"version_id": new_version})

    def _restore_object(self, s3: S3Client, spec: Spec, emit: Emit) -> Result:
        request = {
            "Days": int(spec.get("days", 7)),
            "GlacierJobParameters": {"Tier": spec.get("tier", "Standard")},
        }
        kwargs = {"Bucket": self.target.bucket, "Key": spec["key"], "RestoreRequest": request}
        if spec.get("version_id"):
            kwargs["VersionId"] = spec["version_id"]
        response = s3.restore_object(**kwargs)
        status = response["ResponseMetadata"]["HTTPStatusCode"]
        emit("stdout", f"restore requested ({json.dumps(request)}): HTTP {status}\n")
        return self._restore_status(s3, spec, emit)

    def _restore_status(self, s3: S3Client, spec: Spec, emit: Emit) -> Result:
        kwargs = {"Bucket": self.target.bucket, "Key": spec["key"]}
        if spec.get("version_id"):
            kwargs["VersionId"] = spec["version_id"]
        head = s3.head_object(**kwargs)
        storage = head.get("StorageClass", "STANDARD")
        restore = head.get("Restore", "no restore requested")
        emit("stdout", f"{spec['key']}: storage class {storage}; restore: {restore}\n")
        return Result("succeeded", 0, outputs={"storage_class": storage, "restore": restore})

    def _versioning(self, s3: S3Client, spec: Spec, emit: Emit) -> Result:
        status = s3.get_bucket_versioning(Bucket=self.target.bucket).get("Status", "Disabled")
        emit("stdout", f"versioning of {self.target.bucket}: {status}\n")
        if status != "Enabled":
            emit(
                "stderr",
                f"{SYSTEM_PREFIX}versioning is not enabled: deleted objects cannot be restored\n",
            )
            return Result("failed", 1, "versioning not enabled", outputs={"versioning": status})
        return Result("succeeded", 0, outputs={"versioning": status})

    def _lifecycle(self, s3: S3Client, spec: Spec, emit: Emit) -> Result:
        try:
            rules = s3.get_bucket_lifecycle_configuration(Bucket=self.target.bucket)["Rules"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "NoSuchLifecycleConfiguration":
                raise
            emit("stderr", f"{SYSTEM_PREFIX}{self.target.bucket} has no lifecycle configuration\n")
            return Result("failed", 1, "no lifecycle configuration")
        for rule in rules:
            emit("stdout", json.dumps(rule, default=str, sort_keys=True) + "\n")
        return Result("succeeded", 0, outputs={"rules": len(rules)})
