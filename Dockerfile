# syntax=docker/dockerfile:1
# kfops: the chat-ops service (`kfops serve`) and the console in one binary, for the cluster.
# Build:  docker build -t registry.example.com/kfops:0.1.0 .
# See docs/SERVE.md. The binary uses rustls (no OpenSSL), so the runtime image only needs
# glibc, libgcc and CA certificates: distroless/cc has them.

# ---- builder ----------------------------------------------------------------------------
FROM rust:1.95-slim-bookworm AS builder
WORKDIR /src

# Dependency caching layer: the manifests and the lock file with stub sources, so the
# dependencies are built once and reused while only the product's sources change.
COPY Cargo.toml Cargo.lock ./
COPY crates/kfops-sim/Cargo.toml crates/kfops-sim/Cargo.toml
RUN mkdir -p src benches tests/e2e crates/kfops-sim/src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs crates/kfops-sim/src/lib.rs \
    && echo 'fn main() {}' > benches/graph.rs \
    && echo 'fn main() {}' > benches/logs.rs \
    && echo 'fn main() {}' > tests/e2e/main.rs \
    && cargo build --release --locked --bin kfops \
    && rm -rf src crates/kfops-sim/src

# The real sources; touching them makes cargo rebuild the two workspace crates only.
COPY src src
COPY assets assets
COPY config.example.toml config.example.toml
COPY crates/kfops-sim crates/kfops-sim
RUN touch src/main.rs src/lib.rs crates/kfops-sim/src/lib.rs \
    && cargo build --release --locked --bin kfops \
    && cp target/release/kfops /kfops

# ---- runtime ----------------------------------------------------------------------------
# distroless/cc: glibc + libgcc + ca-certificates, no shell; the nonroot tag runs as UID 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=builder /kfops /usr/local/bin/kfops
# Numeric UID:GID so Kubernetes can verify `runAsNonRoot` without reading /etc/passwd.
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["kfops"]
CMD ["serve", "--config", "/etc/kfops/config.toml"]
