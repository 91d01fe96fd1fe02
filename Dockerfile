# One slim image for every role: web (default), worker (`healthloop worker`), migrations
# (`healthloop db upgrade`). Runs as an unprivileged user.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY connector ./connector
COPY crm_adapters ./crm_adapters
COPY scoring ./scoring
COPY webhooks ./webhooks
RUN pip install .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 healthloop && mkdir /data && chown healthloop /data
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HEALTHLOOP_DATABASE_URL=sqlite:////data/healthloop.db
WORKDIR /data
USER healthloop
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)" || exit 1
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "3", "--worker-class", "gthread", "--threads", "2", \
     "--access-logfile", "-", "webhooks.app:create_app()"]
