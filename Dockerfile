# syntax=docker/dockerfile:1
# One image for every Ordo service; the command picks the service:
#   docker run ordo python -m ordo_<name>
# Built from the repository root: docker build -t ordo .

ARG PYTHON_IMAGE=python:3.11-slim

# Only the manifests, so the dependency layer below is rebuilt when a pyproject.toml or
# uv.lock changes, not on every source edit, and without listing workspace members here.
FROM ${PYTHON_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN find . -type f ! -name pyproject.toml ! -name uv.lock -delete \
    && find . -type d -empty -delete

FROM ${PYTHON_IMAGE} AS build
ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
COPY --from=manifests /src/ ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace
COPY libs/ libs/
COPY services/ services/
# Non-editable: the runtime stage gets the installed packages, not a link to /app sources.
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable

FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 ordo \
    && useradd --system --uid 10001 --gid ordo --no-create-home --shell /usr/sbin/nologin ordo
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
# Numeric so Kubernetes can enforce runAsNonRoot without resolving names.
USER 10001:10001
CMD ["python", "-c", "raise SystemExit('choose a service: python -m ordo_<name>')"]
