#!/usr/bin/env bash
# The whole test suite: formatting, lints, every test (unit, integration, doc, end-to-end).
set -euo pipefail
cd "$(dirname "$0")/.."

# The end-to-end tests drive the real binaries inside tmux; python3 runs the
# shipped Python extension examples.
missing=()
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
# The Python Conductor (feature `python`) embeds CPython 3.11 (.cargo/config.toml).
[ -x /usr/bin/python3.11 ] && /usr/bin/python3.11-config --ldflags --embed >/dev/null 2>&1 \
  || missing+=(python3.11-dev)
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

# Real language servers for the LSP tests (clangd from Debian, pylsp from PyPI in a venv
# under ~/.cache/symphony-lsp) and a real llama.cpp server with a tiny generated model for
# the instrument tests (~/.cache/symphony-llm; about 10 minutes the first time on 2 cores,
# reused afterwards). When either cannot be installed, the tests that need it print why
# and skip, so the rest of the suite still runs.
echo "== language servers (scripts/lsp-deps.sh)"
bash scripts/lsp-deps.sh || echo "lsp-deps failed: the LSP tests will skip" >&2
# A real MCP server (mcp-server-time from PyPI, in a venv under ~/.cache/symphony-mcp) for
# the agent's MCP tool tests; they print why and skip when it is missing.
echo "== MCP server (scripts/mcp-deps.sh)"
bash scripts/mcp-deps.sh || echo "mcp-deps failed: the MCP tool tests will skip" >&2
if [ "${SYMPHONY_SKIP_LLM:-0}" != 1 ]; then
  echo "== local inference server (scripts/llm-server.sh install)"
  t0=$(date +%s)
  bash scripts/llm-server.sh install || echo "llm-server install failed: the real-server instrument tests will skip" >&2
  echo "llm-server: ready in $(( $(date +%s) - t0 )) s"
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo clippy -p symphony-editor --features onig (syntect on Oniguruma, vendored C)"
cargo clippy -p symphony-editor --features onig --all-targets -- -D warnings
echo "== cargo test"
cargo test --workspace
