# DEV/TEST ONLY: a local S3-compatible server (moto) standing in for MinIO where no MinIO
# image can be pulled (see compose.podman.yaml). Holds everything in memory.
# Only moto's S3 backend and its server (flask, flask-cors; versions as in uv.lock), not
# moto[server]'s dependencies for every AWS service; no pip, setuptools or test suites.
ARG DEBIAN_IMAGE=docker.io/library/debian:bookworm-slim
FROM ${DEBIAN_IMAGE} AS build
ENV DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*
RUN --mount=type=secret,id=ca_bundle,required=false \
    if [ -s /run/secrets/ca_bundle ]; then export PIP_CERT=/run/secrets/ca_bundle; fi \
 && python3 -m venv /opt/s3 \
 && /opt/s3/bin/pip install --no-cache-dir "moto[s3]==5.2.5" "flask==3.1.3" "flask-cors==6.0.5" \
 && /opt/s3/bin/pip uninstall -y -q pip setuptools \
 && find /opt/s3 -depth -type d -name tests -exec rm -rf {} +

FROM ${DEBIAN_IMAGE}
RUN apt-get update && apt-get install -y --no-install-recommends python3 \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/* /var/cache/debconf/*-old && useradd --uid 10002 --no-create-home s3
COPY --from=build /opt/s3 /opt/s3
COPY docker/healthcheck.py /opt/healthcheck.py
USER 10002
ENV TZ=UTC
HEALTHCHECK --interval=5s --timeout=3s --retries=24 CMD ["python3", "/opt/healthcheck.py", "9000"]
CMD ["/opt/s3/bin/python", "-m", "moto.server", "-H", "0.0.0.0", "-p", "9000"]
