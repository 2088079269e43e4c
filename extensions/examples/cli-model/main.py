"""cli-model: an instrument wrapping any command-line model.

`invoke {prompt, request_id}` runs the configured command with the prompt on stdin and
streams each line of its stdout (newline included) as an `instrument.token` event
`{text, index, request}`, then answers `{text, tokens, exit_code, finish, usage}`.
Without `prompt`, the `messages` ({role, content}) are joined into one. The event
`instrument.cancel {request}` kills that call's command (and its children) at once;
the call then answers with what it had, `finish: "cancelled"`.
"""

import os
import signal
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from symphony_ext import Extension, ExtError  # noqa: E402

ext = Extension("cli-model")
running = {}  # request id -> Popen
cancelled = set()
lock = threading.Lock()


def children(pid):
    """The processes whose parent is `pid` (Linux /proc; none elsewhere)."""
    out = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return out
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                stat = f.read()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces.
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1 and fields[1] == str(pid):
            out.append(int(name))
    return out


def kill_tree(pid):
    # Stopped first, so it cannot start another child while its children are listed.
    try:
        os.kill(pid, signal.SIGSTOP)
    except OSError:
        return
    for child in children(pid):
        kill_tree(child)
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def cancel(data):
    request = (data or {}).get("request")
    with lock:
        proc = running.get(request)
        cancelled.add(request)
    if proc is not None:
        kill_tree(proc.pid)


ext.urgent["instrument.cancel"] = cancel


def prompt_of(params):
    if "prompt" in params:
        return params.get("prompt") or ""
    parts = [m.get("content", "") for m in params.get("messages") or []]
    return "\n\n".join(parts) + ("\n" if parts else "")


@ext.method("invoke")
def invoke(params):
    command = params.get("command") or ext.config.get("command") or ["cat"]
    prompt = prompt_of(params)
    request = params.get("request_id")
    env = dict(os.environ)
    if ext.config.get("api_key"):
        env["SYMPHONY_API_KEY"] = ext.config["api_key"]
    try:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=ext.workspace,
            env=env,
        )
    except OSError as e:
        raise ExtError("failed", "cannot run %s: %s" % (command[0], e))
    with lock:
        running[request] = proc
        stop = request in cancelled
    if stop:
        kill_tree(proc.pid)
    try:
        proc.stdin.write(prompt)
        proc.stdin.close()
    except OSError:
        pass
    tokens = 0
    text = []
    for line in proc.stdout:
        ext.event("instrument.token", {"text": line, "index": tokens, "request": request})
        text.append(line)
        tokens += 1
    code = proc.wait()
    with lock:
        running.pop(request, None)
        stop = request in cancelled
        cancelled.discard(request)
    if code != 0 and tokens == 0 and not stop:
        raise ExtError("failed", "%s exited with status %d" % (command[0], code))
    return {
        "text": "".join(text),
        "tokens": tokens,
        "exit_code": code,
        "finish": "cancelled" if stop else "stop",
        "usage": {"prompt_tokens": len(prompt.split()), "completion_tokens": tokens},
    }


if __name__ == "__main__":
    ext.run()
