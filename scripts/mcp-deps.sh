#!/usr/bin/env bash
# Installs the real MCP server the agent's MCP tests (orchestrator/tests/mcp_tools.rs) talk
# to: mcp-server-time from PyPI (which brings the official `mcp` Python SDK, whose FastMCP
# also serves the Streamable HTTP test) into a virtualenv at ~/.cache/symphony-mcp/venv
# (SYMPHONY_MCP_VENV overrides; the tests look there). Idempotent; one line of what it did,
# the pip log on failure.
set -euo pipefail

venv="${SYMPHONY_MCP_VENV:-$HOME/.cache/symphony-mcp/venv}"
version="2026.10.19"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

run() {
  if ! "$@" >>"$log" 2>&1; then
    echo "mcp-deps: failed: $*" >&2
    cat "$log" >&2
    exit 1
  fi
}

if [ -x "$venv/bin/mcp-server-time" ] \
  && "$venv/bin/python" -m pip show mcp-server-time 2>/dev/null | grep -qx "Version: $version"; then
  echo "mcp-deps: mcp-server-time $version already installed ($venv/bin/mcp-server-time)"
  exit 0
fi
if ! python3 -m venv "$venv" >>"$log" 2>&1; then
  # Debian splits venv out of python3
  if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    run $sudo apt-get update -qq
    run env DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv
  fi
  rm -rf "$venv"
  run python3 -m venv "$venv"
fi
run "$venv/bin/python" -m pip install -q --disable-pip-version-check "mcp-server-time==$version"
echo "mcp-deps: installed mcp-server-time $version into $venv"
