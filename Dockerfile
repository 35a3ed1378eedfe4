# fcwatch operator image.
#   docker build -t <registry>/fcwatch:0.1.0 .
# manifests/ refers to ghcr.io/fcwatch/fcwatch:0.1.0, a placeholder: push the image to your
# registry and change `images:` in manifests/kustomization.yaml.
FROM python:3.11-slim

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

# Only what the package build needs (pyproject's `readme` is README.md); .dockerignore keeps
# the rest (.venv, tests, caches) out of the build context.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY operator/ operator/

# Every dependency ships a manylinux wheel for CPython 3.11, so no compiler is needed. The source
# tree is removed after installation; the runtime user owns nothing in the image.
RUN pip install . \
 && rm -rf /src \
 && groupadd --system --gid 65532 fcwatch \
 && useradd --system --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin fcwatch

# Numeric, so that the kubelet can verify runAsNonRoot without resolving a user name.
USER 65532:65532
WORKDIR /tmp
# 8080: kopf liveness endpoint (/healthz); 9090: Prometheus metrics.
EXPOSE 8080 9090
ENTRYPOINT ["fcwatch"]
CMD ["run", "--all-namespaces"]
