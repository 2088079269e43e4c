"""cli-model: an instrument wrapping any command-line model.

`invoke {prompt}` runs the configured command with the prompt on stdin and streams each
line of its stdout as an `instrument.token` event, then answers with the totals.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from symphony_ext import Extension, ExtError  # noqa: E402

ext = Extension("cli-model")


@ext.method("invoke")
def invoke(params):
    command = params.get("command") or ext.config.get("command") or ["cat"]
    prompt = params.get("prompt", "")
    try:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=ext.workspace,
        )
    except OSError as e:
        raise ExtError("failed", "cannot run %s: %s" % (command[0], e))
    proc.stdin.write(prompt)
    proc.stdin.close()
    tokens = 0
    for line in proc.stdout:
        ext.event("instrument.token", {"text": line.rstrip("\n"), "index": tokens})
        tokens += 1
    code = proc.wait()
    return {"tokens": tokens, "exit_code": code}


if __name__ == "__main__":
    ext.run()
