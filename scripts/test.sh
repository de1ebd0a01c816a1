#!/usr/bin/env bash
# Runs the whole datamask test suite: formatting, lints and every test.
# Usage: ./scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo not found: install Rust from your distribution or rustup first" >&2
  exit 1
fi

# The database tests need PostgreSQL and MariaDB on 127.0.0.1; installs/starts them if missing.
./scripts/services.sh

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
