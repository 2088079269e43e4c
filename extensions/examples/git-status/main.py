"""git-status: a motif pane showing `git status --porcelain` as a declarative view."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from symphony_ext import Extension  # noqa: E402

ext = Extension("git-status")

STYLES = {"M": "modified", "A": "added", "D": "deleted", "R": "renamed", "?": "untracked"}


def view():
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain"],
            cwd=ext.workspace,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError) as e:
        lines = [{"text": "git unavailable: %s" % e, "style": "error"}]
    else:
        if out.returncode != 0:
            lines = [{"text": out.stderr.strip() or "not a git repository", "style": "error"}]
        else:
            entries = [l for l in out.stdout.splitlines() if l.strip()]
            lines = [
                {"text": l, "style": STYLES.get(l.strip()[:1], "normal")} for l in entries
            ] or [{"text": "clean", "style": "dim"}]
    return {
        "title": "git status",
        "lines": lines,
        "key_hints": [{"key": "r", "label": "refresh"}],
    }


@ext.method("render")
def render(params):
    return view()


@ext.method("key")
def key(params):
    # Every key re-renders; `r` is the advertised one.
    return view()


if __name__ == "__main__":
    ext.run()
