"""S3 keys listed after a mark: ListObjectsV2 with `StartAfter`, which pyarrow's S3 filesystem
does not offer. The sweep (docs/ledger.md#the-sweep) lists only the keys after the greatest
one the ledger holds, so its listing costs the new keys, not the whole source.

botocore is the client (the AWS SDK's core; credentials and endpoint as `S3Options` gives
them, else its own default chain, as pyarrow's client does).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Mapping
from typing import Any

import botocore.session
from botocore.config import Config

log = logging.getLogger(__name__)
PAGE_KEYS = 1000  # keys per ListObjectsV2 response (S3's maximum)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def keys_after(
    client_settings: Mapping[str, Any], bucket: str, prefix: str, after: str
) -> Iterator[tuple[str, int, int]]:
    """(key, size, mtime_ns) of every object under `prefix` whose key sorts after `after`,
    in S3's order (UTF-8 bytes). Keys ending in "/" (folder markers) are left out.

    `client_settings`: botocore `create_client` keyword arguments (`S3Options.botocore`).
    Raises botocore's errors as they come (the caller explains them).
    """
    client = botocore.session.get_session().create_client(
        "s3", config=Config(retries={"mode": "standard"}), **client_settings
    )
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket,
        Prefix=prefix,
        StartAfter=max(after, prefix),
        PaginationConfig={"PageSize": PAGE_KEYS},
    )
    listed = 0
    for page in pages:
        for obj in page.get("Contents") or ():
            listed += 1
            if not obj["Key"].endswith("/"):
                modified = obj["LastModified"] - _EPOCH
                yield obj["Key"], int(obj["Size"]), modified // dt.timedelta(microseconds=1) * 1000
    log.info("listed %d key(s) of s3://%s/%s after %r", listed, bucket, prefix, after)
