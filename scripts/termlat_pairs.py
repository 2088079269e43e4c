#!/usr/bin/env python3
"""Three interleaved termlat pairs on one file: symphony (fresh XDG dirs each run) against
`vim -u NONE`, plus CPU per key and pipe bytes per key (/proc/PID/io) of symphony's two processes
sampled while termlat types. Usage: termlat_pairs.py SYMPHONY EDITOR LABEL [--sessions]."""
import json, os, subprocess, sys, tempfile, threading, time
TERMLAT = os.environ.get("TERMLAT", "../shared/tools/termlat.py")
FILE = os.environ.get("TERMLAT_FILE", "/tmp/bench/1mb.rs")
KEYS = 200
tick = os.sysconf("SC_CLK_TCK")

def cpu(pid):
    try:
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / tick
    except OSError:
        return None

def io(pid):
    try:
        d = dict(l.split(": ") for l in open(f"/proc/{pid}/io").read().splitlines())
        return int(d["rchar"]), int(d["wchar"])
    except (OSError, KeyError):
        return None

def children(pid):
    try:
        return [int(c) for c in open(f"/proc/{pid}/task/{pid}/children").read().split()]
    except OSError:
        return []

def run(cmd, env=None, sample=False):
    p = subprocess.Popen(["python3", TERMLAT, "--json"] + cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    samples = {}
    def sampler():
        t0 = time.time(); first = {}
        while p.poll() is None:
            kids = children(p.pid)
            procs = {}
            for k in kids:
                procs["client"] = k
                for g in children(k):
                    procs["editor"] = g
            now = time.time() - t0
            for name, pid in procs.items():
                c, i = cpu(pid), io(pid)
                if c is None: continue
                if name not in first and now > 0.8:
                    first[name] = (c, i)
                if name in first:
                    samples[name] = (first[name], (c, i))
            time.sleep(0.02)
    th = None
    if sample:
        th = threading.Thread(target=sampler); th.start()
    out, err = p.communicate()
    if th: th.join()
    try:
        res = json.loads(out)
    except ValueError:
        res = {"raw": out[-2000:], "err": err[-2000:]}
    for name, ((c0, i0), (c1, i1)) in samples.items():
        res[f"{name}_cpu_ms_per_key"] = round((c1 - c0) * 1000 / KEYS, 3)
        if i0 and i1:
            res[f"{name}_read_B_per_key"] = round((i1[0] - i0[0]) / KEYS, 1)
            res[f"{name}_write_B_per_key"] = round((i1[1] - i0[1]) / KEYS, 1)
    return res

sym, editor, label = sys.argv[1], sys.argv[2], sys.argv[3]
# `--sessions`: each round runs symphony through its session server and in process
# (SYMPHONY_NO_SERVER=1), each with its own XDG_RUNTIME_DIR (a fresh session).
modes = ("server", "inprocess") if "--sessions" in sys.argv[4:] else ("default",)
print("load", open("/proc/loadavg").read().strip(), time.strftime("%H:%M:%S", time.gmtime()), flush=True)
for pair in range(3):
    for mode in modes:
        d = tempfile.mkdtemp(prefix="speed-xdg-")
        env = dict(os.environ, XDG_CONFIG_HOME=d + "/c", XDG_STATE_HOME=d + "/s", XDG_DATA_HOME=d + "/d")
        quit_key = "\\x11"
        if mode != "default":
            os.makedirs(d + "/r", mode=0o700)
            env["XDG_RUNTIME_DIR"] = d + "/r"
        if mode == "inprocess":
            env["SYMPHONY_NO_SERVER"] = "1"
        if mode == "server":
            quit_key = "\\x02d"  # detach; the server is stopped below
        r = run(["--ready", "READYMARK", "--keys", str(KEYS), "--quit", quit_key, "--", sym, "--editor", editor, FILE], env=env, sample=True)
        if mode == "server":
            subprocess.run(["pkill", "-f", "symphony server --session"], check=False)
        print(label, "symphony" if mode == "default" else "symphony-" + mode, pair, json.dumps(r), flush=True)
    r = run(["--ready", "READYMARK", "--setup", "i", "--keys", str(KEYS), "--quit", "\\x1b:q!\\r", "--", "vim", "-u", "NONE", "-N", FILE], sample=False)
    print(label, "vim", pair, json.dumps(r), flush=True)
print("load", open("/proc/loadavg").read().strip(), time.strftime("%H:%M:%S", time.gmtime()), flush=True)
