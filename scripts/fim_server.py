#!/usr/bin/env python3
"""A scripted stand-in for a model: answers llama.cpp's POST /infill (and any other POST)
after DELAY_MS (default 30) with a fixed two-line suggestion and llama.cpp-style timings
that say the server took DELAY_MS. Usage: fim_server.py PORT [DELAY_MS]. Only 127.0.0.1.
Prints "listening PORT" once it accepts connections; counts requests on stderr at exit."""
import json, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[1])
DELAY = float(sys.argv[2]) if len(sys.argv) > 2 else 30.0
ANSWER = json.dumps({
    "content": "_ghost(1, 2)\n    + more()",
    "timings": {"prompt_n": 31, "prompt_ms": DELAY / 2, "predicted_n": 5, "predicted_ms": DELAY / 2},
}).encode()
served = 0

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        global served
        n = int(self.headers.get("content-length") or 0)
        self.rfile.read(n)
        time.sleep(DELAY / 1000)
        served += 1
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(ANSWER)))
            self.end_headers()
            self.wfile.write(ANSWER)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client cancelled (dropped the connection)

    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
print("listening", PORT, flush=True)
try:
    server.serve_forever()
except KeyboardInterrupt:
    pass
finally:
    print("served", served, file=sys.stderr, flush=True)
