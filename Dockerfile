# syntax=docker/dockerfile:1
# Multi-stage build: compile the workspace, ship only the binaries on a slim base.

FROM rust:1.90-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
        -p partnernet -p invitation -p sharing -p sync -p notification \
 && mkdir -p /out \
 && cp target/release/partnernet target/release/invitation target/release/sharing \
       target/release/sync target/release/notification /out/

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 partnernet
COPY --from=build /out/ /usr/local/bin/
USER partnernet
EXPOSE 8080
CMD ["partnernet", "serve", "all"]
