"""Copy the AWS SDK v2 bundle jar without the service clients S3A never calls.

    python3 slim_aws_bundle.py bundle-2.35.4.jar bundle-2.35.4-s3.jar

The bundle (686 MB) shades the SDK core, its HTTP clients and third-party libraries together
with the clients of some 400 AWS services, each under software/amazon/awssdk/services/<name>/.
hadoop-aws uses S3 (and S3 Control), STS for assumed roles, and SSO/SSO-OIDC through the
default credential chain; everything outside services/ is kept as it is. About 25 MB remain.
"""

from __future__ import annotations

import sys
import zipfile

SERVICES = "software/amazon/awssdk/services/"
KEEP = {"s3", "s3control", "sts", "sso", "ssooidc"}


def kept(name: str) -> bool:
    if not name.startswith(SERVICES):
        return True
    service = name[len(SERVICES) :].split("/", 1)[0]
    return service in KEEP or "/" not in name[len(SERVICES) :]


def main(source: str, target: str) -> int:
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            if kept(info.filename):
                out.writestr(info, src.read(info), compress_type=zipfile.ZIP_DEFLATED)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2]))
