# syntax=docker/dockerfile:1
#
# Production image of the Bündnisportal API.
#
#   docker build -t buendnisportal .
#   docker run -p 8000:8000 \
#     -e BUENDNIS_DATABASE_URL=postgresql+psycopg://buendnis:PASSWORD@db:5432/buendnis \
#     -e BUENDNIS_JWT_SECRET="$(openssl rand -hex 32)" \
#     buendnisportal
#
# Production means PostgreSQL (BUENDNIS_DATABASE_URL); the settings refuse to start with the
# development JWT secret. Behind a reverse proxy in another container, set FORWARDED_ALLOW_IPS
# to the proxy's address so client addresses (rate limits, logs) come from X-Forwarded-For.
# The container applies the Alembic migrations on every start, then serves on port 8000.

ARG PYTHON_IMAGE=python:3.11-slim

# ---- builder: the project and its dependencies in a virtualenv ---------------------------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH="/opt/venv/bin:${PATH}"

RUN python -m venv /opt/venv
WORKDIR /build

# Dependencies first, pinned by requirements.lock, so code changes reuse this layer.
COPY pyproject.toml requirements.lock ./
RUN mkdir app && touch app/__init__.py \
    && pip install -c requirements.lock . \
    && pip uninstall --yes buendnisportal \
    && rm -rf app build ./*.egg-info

# Then the project itself (gives the `buendnis` console script).
COPY app ./app
RUN pip install --no-deps . \
    && find /opt/venv -name '__pycache__' -type d -prune -exec rm -rf {} +

# ---- runtime ----------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

# PYTHONPATH=/app: `buendnis` imports app/ from /app (not the copy in site-packages), so
# `buendnis migrate` finds alembic.ini and migrations/ beside it.
ENV BUENDNIS_ENV=production \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONPATH=/app \
    PATH="/opt/venv/bin:${PATH}"

RUN groupadd --system --gid 10001 buendnis \
    && useradd --system --uid 10001 --gid buendnis --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin buendnis

WORKDIR /app
# Owned by root, read-only for the service user.
COPY --from=builder /opt/venv /opt/venv
COPY app ./app
COPY migrations ./migrations
COPY alembic.ini ./
# Bytecode is compiled once here: with PYTHONDONTWRITEBYTECODE and no __pycache__ (removed in
# the builder), every start compiled the dependencies and the app from source again
# (docs/PERFORMANCE.md, "Hot reads and start-up").
RUN python -m compileall -q -j 0 /opt/venv/lib /app/app

# The buendnis user, numeric so Kubernetes' runAsNonRoot can verify it.
USER 10001:10001

EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

CMD ["sh", "-c", "buendnis migrate && exec buendnis serve --host 0.0.0.0 --port 8000"]
