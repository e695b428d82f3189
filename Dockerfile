# Multi-stage build of the Détente server.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p detente

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /data detente \
    && mkdir -p /data && chown detente /data
COPY --from=build /src/target/release/detente /usr/local/bin/detente
USER detente
WORKDIR /data
ENV DETENTE_ADDR=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["detente", "serve"]
