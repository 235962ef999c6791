# trimtab as a service: `trimtab serve` on every config in /config, state in the /data volume.
#   docker build -t trimtab .
#   docker run -d -p 127.0.0.1:8750:8750 -v "$PWD/portfolios:/config:ro" -v trimtab-data:/data \
#     -e TRIMTAB_WEB_TOKEN -e TRIMTAB_API_KEY -e TRIMTAB_API_SECRET -e TRIMTAB_NOTIFY_URLS trimtab
# Each config in /config sets its own `data_dir: /data/<name>` (README: Run it as a service).

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /build
COPY pyproject.toml constraints.txt README.md ./
COPY src ./src
# The same pinned dependencies as `make test` (constraints.txt), into a venv copied to the final image.
RUN python -m venv /opt/trimtab \
 && /opt/trimtab/bin/pip install --quiet -c constraints.txt . \
 && /opt/trimtab/bin/python -m compileall -q /opt/trimtab/lib

FROM python:3.11-slim
RUN useradd --system --uid 10001 --create-home --home-dir /home/trimtab trimtab \
 && mkdir -p /data /config && chown trimtab:trimtab /data
COPY --from=build /opt/trimtab /opt/trimtab
ENV PATH=/opt/trimtab/bin:$PATH PYTHONUNBUFFERED=1
USER trimtab
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8750
# GET /health answers 200 while the service runs (python: the slim image has no curl).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:8750/health', timeout=4); sys.exit(0 if r.status == 200 else 1)"]
# SIGTERM (docker stop) lets every portfolio finish the run it is in: give it time (compose: stop_grace_period).
STOPSIGNAL SIGTERM
ENTRYPOINT ["trimtab"]
# 0.0.0.0 inside the container needs TRIMTAB_WEB_TOKEN (serve refuses a non-loopback address without it);
# publish the port on the host's loopback (-p 127.0.0.1:8750:8750) unless a reverse proxy with TLS is in front.
CMD ["serve", "--config-dir", "/config", "--host", "0.0.0.0", "--port", "8750"]
