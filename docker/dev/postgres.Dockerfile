# DEV/TEST ONLY: PostgreSQL 15 from Debian bookworm, for environments where the official
# postgres image cannot be pulled (see compose.podman.yaml). Same variables as the official
# image: POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB.
ARG DEBIAN_IMAGE=docker.io/library/debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
ENV DEBIAN_FRONTEND=noninteractive TZ=UTC PGDATA=/var/lib/postgresql/data \
    PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/* && mkdir -p "$PGDATA" /var/run/postgresql \
 && chown -R postgres:postgres "$PGDATA" /var/run/postgresql
COPY --chmod=755 docker/dev/postgres-start.sh /usr/local/bin/postgres-start
USER postgres
HEALTHCHECK --interval=5s --timeout=3s --retries=24 CMD ["pg_isready", "-h", "127.0.0.1"]
CMD ["postgres-start"]
