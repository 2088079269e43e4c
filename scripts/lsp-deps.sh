#!/usr/bin/env bash
# Installs what the LSP tests (editor-proc/tests/lsp_*.rs) need on a fresh Debian machine:
# clangd from apt when missing, python-lsp-server (pylsp, with pyflakes and rope) from PyPI
# into a virtualenv at ~/.cache/symphony-lsp/venv (the tests look there, then on PATH).
# Idempotent and quiet: prints one line per tool saying what it did; on failure, the log.
set -euo pipefail

venv="${SYMPHONY_LSP_VENV:-$HOME/.cache/symphony-lsp/venv}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

run() {
  if ! "$@" >>"$log" 2>&1; then
    echo "lsp-deps: failed: $*" >&2
    cat "$log" >&2
    exit 1
  fi
}

apt_install() {
  local sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  run $sudo apt-get update -qq
  run env DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
}

if command -v clangd >/dev/null 2>&1; then
  echo "lsp-deps: clangd already installed ($(command -v clangd))"
elif command -v apt-get >/dev/null 2>&1; then
  apt_install clangd
  echo "lsp-deps: installed clangd from apt ($(command -v clangd || echo 'not on PATH'))"
else
  echo "lsp-deps: clangd missing and no apt-get: the clangd tests will skip" >&2
fi

if [ -x "$venv/bin/pylsp" ]; then
  echo "lsp-deps: pylsp already installed ($venv/bin/pylsp)"
else
  if ! python3 -m venv "$venv" >>"$log" 2>&1; then
    # Debian splits venv out of python3
    if command -v apt-get >/dev/null 2>&1; then
      apt_install python3-venv
    fi
    rm -rf "$venv"
    run python3 -m venv "$venv"
  fi
  run "$venv/bin/python" -m pip install -q --disable-pip-version-check \
    'python-lsp-server[pyflakes,rope]'
  echo "lsp-deps: installed python-lsp-server into $venv"
fi
