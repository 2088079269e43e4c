#!/usr/bin/env python3
"""termlat with inline completion off and on, interleaved, on the same 1 MB file; with it on,
a scripted server (scripts/fim_server.py, standing in for llama.cpp's /infill) answers every
request after 30 ms and the typing pause is 1 ms, so a request goes out after nearly every key
(and is cancelled by the next one, or answered and drawn). Prints termlat's JSON per run, then
from the client's log (target symphony::ghost_timing, at debug) the time from the end of the
pause to the frame that draws the ghost text, the server's own time and their difference.
Usage: termlat_completion.py SYMPHONY EDITOR [RUNS] (fresh XDG dirs for every run)."""
import json, os, re, socket, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
TERMLAT = os.environ.get("TERMLAT", os.path.join(HERE, "../../../shared/tools/termlat.py"))
if not os.path.exists(TERMLAT):
    TERMLAT = "/work/shared/tools/termlat.py"
FILE = os.environ.get("TERMLAT_FILE", "/tmp/bench/1mb.rs")
KEYS = int(os.environ.get("KEYS", "200"))
DELAY_MS = 30

def generate(path, mb=1):
    # the loop of benches/benches/tui_latency.rs
    os.makedirs(os.path.dirname(path), exist_ok=True)
    out = ["// READYMARK generated for tui_latency\n"]
    size, i = len(out[0]), 0
    while size < mb << 20:
        line = f"fn item_{i}(x: u64) -> u64 {{ let y = x.wrapping_mul({i}); y ^ (y >> 7) }} // {i}\n"
        out.append(line); size += len(line); i += 1
    open(path, "w").write("".join(out))

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else None

def run(sym, editor, on, port):
    d = tempfile.mkdtemp(prefix="ghost-bench-")
    cfg = os.path.join(d, "c", "symphony"); os.makedirs(cfg)
    if on:
        open(os.path.join(cfg, "config.toml"), "w").write(
            "[[instruments]]\nname = \"bench\"\nkind = \"openai\"\n"
            f"base_url = \"http://127.0.0.1:{port}\"\nmodel = \"tiny\"\n"
            "[completion]\nenabled = true\ninstrument = \"bench\"\nformat = \"infill\"\ndebounce_ms = 1\n")
    env = dict(os.environ, XDG_CONFIG_HOME=d + "/c", XDG_STATE_HOME=d + "/s", XDG_DATA_HOME=d + "/d",
               RUST_LOG="info,symphony::ghost_timing=debug")
    p = subprocess.run(["python3", TERMLAT, "--json", "--ready", "READYMARK", "--keys", str(KEYS),
                        "--quit", "\\x11", "--", sym, "--editor", editor, FILE],
                       env=env, capture_output=True, text=True)
    try:
        res = json.loads(p.stdout)
    except ValueError:
        res = {"raw": p.stdout[-2000:], "err": p.stderr[-2000:]}
    timings = []
    log = os.path.join(d, "s", "symphony", "symphony.log")
    if os.path.exists(log):
        for line in open(log, errors="replace"):
            if "ghost text drawn" in line:
                f = dict(re.findall(r"(\w+_us)=(?:Some\()?(\d+)", line))
                if "total_us" in f:
                    timings.append({k: int(v) for k, v in f.items()})
    return res, timings

def main():
    sym, editor = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    if not os.path.exists(FILE):
        generate(FILE)
    port = free_port()
    server = subprocess.Popen(["python3", os.path.join(HERE, "fim_server.py"), str(port), str(DELAY_MS)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    server.stdout.readline()
    print("load", open("/proc/loadavg").read().strip(), time.strftime("%H:%M:%S", time.gmtime()), flush=True)
    all_timings = []
    try:
        for i in range(runs):
            for on in (False, True):
                res, timings = run(sym, editor, on, port)
                all_timings += timings
                print("on" if on else "off", i, json.dumps(res), f"ghosts_drawn={len(timings)}", flush=True)
    finally:
        server.terminate()
        _, err = server.communicate()
        print(err.strip(), flush=True)
    print("load", open("/proc/loadavg").read().strip(), time.strftime("%H:%M:%S", time.gmtime()), flush=True)
    client = [t["client_us"] / 1000 for t in all_timings if "client_us" in t]
    total = [t["total_us"] / 1000 for t in all_timings]
    if client:
        print(f"pause to ghost text on screen: n={len(client)} total p50 {statistics.median(total):.2f} ms; "
              f"minus the server's {DELAY_MS} ms: p50 {statistics.median(client):.2f} ms "
              f"p90 {pct(client, 90):.2f} ms p99 {pct(client, 99):.2f} ms max {max(client):.2f} ms")

if __name__ == "__main__":
    main()
