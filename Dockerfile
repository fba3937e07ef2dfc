# threatforge in a small image: `docker build -t threatforge .`, then
#   docker run --rm -v "$PWD:/src" threatforge check --fail-on high
# The runtime image keeps a shell and git: GitLab CI runs its scripts with a shell, and
# `diff --base` reads the old model with `git archive`. Nothing is downloaded at run time.

# The toolchain is the workspace's rust-version (Cargo.toml); a test holds the two together.
FROM rust:1.89-slim-bookworm AS build
WORKDIR /build
COPY . .
# --locked: the image is built from the committed Cargo.lock, as `cargo install --locked` is.
ENV CARGO_PROFILE_RELEASE_STRIP=true
RUN cargo build --release --locked -p threatforge-cli

FROM debian:bookworm-slim
# git for `diff --base`, curl for the GitLab job's comment. The repository is mounted with the
# host's owner, and git refuses a directory another user owns unless it is marked safe.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && git config --system --add safe.directory '*'
COPY --from=build /build/target/release/threatforge /usr/local/bin/threatforge
WORKDIR /src
ENTRYPOINT ["threatforge"]
CMD ["check"]
