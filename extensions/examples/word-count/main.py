"""word-count: an operator counting words and TODOs in a selection (or a file)."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from symphony_ext import Extension  # noqa: E402

ext = Extension("word-count")


def count(text):
    return {
        "words": len(text.split()),
        "todos": len(re.findall(r"\bTODO\b", text)),
        "lines": len(text.splitlines()),
    }


@ext.method("count")
def count_selection(params):
    return count(params.get("text", ""))


@ext.method("count_file")
def count_file(params):
    # Goes through the host, so the user's grant decides.
    return count(ext.call_host("host.read_file", {"path": params.get("path", "")}))


if __name__ == "__main__":
    ext.run()
