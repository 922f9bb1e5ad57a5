# DEV/TEST ONLY: PostgreSQL 15 from Debian bookworm, for environments where the official
# postgres image cannot be pulled (see compose.podman.yaml). Same variables as the official
# image: POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB.
# Only what the server runs is copied out of the package install: the server programs this
# image calls, its modules (less the LLVM JIT, off here), its share/ files, the time zones and
# the shared libraries they link (ldd); no perl wrappers, no client tools, no LLVM.
ARG DEBIAN_IMAGE=docker.io/library/debian:bookworm-slim
FROM ${DEBIAN_IMAGE} AS build
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*
RUN set -eu; pg=/usr/lib/postgresql/15; mkdir -p /out$pg/bin /out$pg/lib /out/usr/share; \
    for b in postgres initdb pg_ctl pg_isready createdb; do cp -a $pg/bin/$b /out$pg/bin/; done; \
    for m in $pg/lib/*.so; do case $m in *llvmjit*) ;; *) cp -a $m /out$pg/lib/;; esac; done; \
    cp -a /usr/share/postgresql /usr/share/zoneinfo /out/usr/share/; \
    for f in /out$pg/bin/* /out$pg/lib/*.so; do ldd "$f" | awk '/=> \//{print $3}'; done | sort -u \
    | while read -r lib; do dir=$(readlink -f "$(dirname "$lib")"); mkdir -p "/out$dir"; \
        cp -L "$lib" "/out$dir/$(basename "$lib")"; done

FROM ${DEBIAN_IMAGE}
ENV TZ=UTC PGDATA=/var/lib/postgresql/data \
    PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
COPY --from=build /out/ /
RUN useradd --system --user-group --home-dir /var/lib/postgresql postgres \
 && mkdir -p "$PGDATA" /var/run/postgresql \
 && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
COPY --chmod=755 docker/dev/postgres-start.sh /usr/local/bin/postgres-start
USER postgres
HEALTHCHECK --interval=5s --timeout=3s --retries=24 CMD ["pg_isready", "-h", "127.0.0.1"]
CMD ["postgres-start"]
