# flexdiag as a scheduled health check (docs/container.md).
FROM python:3.11-slim

# The project, installed from its own source; no compiler or cache left in the image.
# setup.py holds the build hook that compiles the Dutch catalogue: without it --lang nl fails.
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY flexdiag ./flexdiag
RUN pip install --no-cache-dir . \
    && groupadd --system --gid 10001 flexdiag \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/flexdiag --create-home \
       flexdiag \
    && rm -rf /src

WORKDIR /var/lib/flexdiag
# Not root; numeric, so that Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
ENV FLEXDIAG_HISTORY=/var/lib/flexdiag/history.sqlite \
    PYTHONUNBUFFERED=1
VOLUME ["/var/lib/flexdiag"]
EXPOSE 9469

# Healthy when the latest run is recent and not failing; reads the history, sends nothing.
HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=2 \
    CMD ["flexdiag", "health", "--max-age", "15m"]

ENTRYPOINT ["flexdiag"]
CMD ["watch", "--interval", "5m", "--lifetime-every", "24h", "--metrics-listen", "0.0.0.0:9469"]
