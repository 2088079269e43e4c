#!/usr/bin/env bash
# The whole test suite: formatting, lints, every test (unit, integration, doc, end-to-end).
set -euo pipefail
cd "$(dirname "$0")/.."

# The end-to-end tests drive the real binaries inside tmux; python3 runs the
# shipped Python extension examples.
missing=()
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  else
    echo "missing ${missing[*]}: install them (e.g. sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo test"
cargo test --workspace
