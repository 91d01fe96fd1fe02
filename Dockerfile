# One slim image for every role: web (default), worker (`healthloop worker`), migrations
# (`healthloop db upgrade`). Runs as an unprivileged user.
#
# Dependencies come from requirements.lock (uv, hashes checked), so every build installs the same
# versions; `make lock` regenerates it after pyproject.toml changes. The runtime image leaves out the
# `report` extra (matplotlib, ~80 MB: only `healthloop report --html` draws charts), the `learn` extra
# (scikit-learn: `healthloop learn` fits the churn probability; scoring applies a fitted one without it) and the
# `demo` extra (the Segment SDK and the sandbox's TLS package). Charts in the image:
#   docker build --build-arg LOCK=requirements-report.lock --build-arg EXTRAS=report .
FROM python:3.11-slim AS build
ARG LOCK=requirements.lock
ARG EXTRAS=""
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY requirements.lock requirements-report.lock ./
RUN pip install --require-hashes --only-binary=:all: -r "$LOCK"
COPY pyproject.toml README.md ./
COPY connector ./connector
COPY crm_adapters ./crm_adapters
COPY scoring ./scoring
COPY webhooks ./webhooks
# --no-deps: everything it needs is already installed, pinned, from the lock file.
RUN pip install --no-deps ".${EXTRAS:+[$EXTRAS]}" && pip check

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 healthloop \
    && mkdir /data /metrics /etc/healthloop \
    && chown healthloop /data /metrics
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HEALTHLOOP_DATABASE_URL=sqlite:////data/healthloop.db \
    HEALTHLOOP_METRICS_DIR=/metrics \
    HEALTHLOOP_WORKER_HEARTBEAT_FILE=/tmp/healthloop-worker.heartbeat
WORKDIR /data
USER healthloop
EXPOSE 8000
# Liveness only (it touches nothing); readiness is /readyz, for the load balancer.
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)" || exit 1
# webhooks/gunicorn_conf.py: our log format, an access log without credentials, JSON errors, metrics hooks.
CMD ["gunicorn", "-c", "python:webhooks.gunicorn_conf", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "webhooks.app:create_app()"]
