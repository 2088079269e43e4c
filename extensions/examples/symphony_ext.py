"""Minimal helper (Python standard library only) for writing a Symphony extension.

Speaks `Message` envelopes as JSON lines on stdin/stdout: answers the lifecycle
requests (initialize, activate, deactivate, shutdown), dispatches other requests to
handlers registered with `@ext.method("name")`, publishes events with `ext.event`, and
calls the host with `ext.call_host` (which waits for the host's reply).

A reader thread takes the host's messages as they come: handlers registered in
`ext.urgent[topic]` run at once on that thread, even while a request is being handled
(how `instrument.cancel` reaches a long `invoke`); everything else is handled in order.
"""

import json
import queue
import sys
import threading
import time
import uuid

VERSION = {"major": 1, "minor": 0}


class ExtError(Exception):
    """Raise from a handler to send an error reply with a code."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


class Extension:
    def __init__(self, ext_id):
        self.source = "ext:" + ext_id
        self.handlers = {}
        self.config = {}
        self.workspace = "."
        self._queued = []
        self._inbox = queue.Queue()
        self._reader = None
        self._send_lock = threading.Lock()
        # Called as on_event(topic, data) for events from the host (keys for motifs...).
        self.on_event = None
        # topic -> fn(data), run on the reader thread as soon as the event arrives.
        self.urgent = {}

    def method(self, name):
        def register(fn):
            self.handlers[name] = fn
            return fn

        return register

    def _msg(self, kind, payload, correlation_id=None, priority="normal"):
        m = {
            "id": str(uuid.uuid4()),
            "kind": kind,
            "source": self.source,
            "target": "host",
            "priority": priority,
            "created_at": int(time.time() * 1000),
            "version": VERSION,
            "payload": payload,
        }
        if correlation_id:
            m["correlation_id"] = correlation_id
        return m

    def send(self, m):
        line = json.dumps(m, separators=(",", ":")) + "\n"
        with self._send_lock:
            sys.stdout.write(line)
            sys.stdout.flush()

    def event(self, topic, data):
        self.send(self._msg("event", {"topic": topic, "data": data}))

    def _read(self):
        for line in sys.stdin:
            try:
                m = json.loads(line)
            except ValueError:
                continue
            if m.get("kind") == "event":
                payload = m.get("payload") or {}
                fn = self.urgent.get(payload.get("topic", ""))
                if fn is not None:
                    try:
                        fn(payload.get("data"))
                    except Exception as e:  # a bug in a handler must not stop reading
                        sys.stderr.write("urgent handler failed: %r\n" % (e,))
            self._inbox.put(m)
        self._inbox.put(None)

    def _start_reader(self):
        if self._reader is None:
            self._reader = threading.Thread(target=self._read, daemon=True)
            self._reader.start()

    def _next(self):
        self._start_reader()
        return self._inbox.get()

    def call_host(self, method, params):
        """Asks the host; returns the result or raises ExtError with its code."""
        req = self._msg("request", {"method": method, "params": params})
        self.send(req)
        while True:
            m = self._next()
            if m is None:
                self._inbox.put(None)
                break
            if m.get("correlation_id") == req["id"]:
                if m.get("kind") == "error":
                    p = m.get("payload") or {}
                    raise ExtError(p.get("code", "failed"), p.get("message", ""))
                return m.get("payload")
            self._queued.append(m)
        raise ExtError("gone", "host closed the connection")

    def _handle(self, m):
        if m.get("kind") == "event" and self.on_event is not None:
            payload = m.get("payload") or {}
            self.on_event(payload.get("topic", ""), payload.get("data"))
        if m.get("kind") != "request":
            return True
        payload = m.get("payload") or {}
        method = payload.get("method", "")
        params = payload.get("params") or {}
        try:
            if method == "initialize":
                self.config = params.get("config") or {}
                self.workspace = params.get("workspace") or "."
                result = None
            elif method in ("activate", "deactivate", "shutdown"):
                result = None
            elif method in self.handlers:
                result = self.handlers[method](params)
            else:
                raise ExtError("unknown_method", "no method " + method)
            reply = self._msg("response", result, m["id"], m.get("priority", "normal"))
        except ExtError as e:
            reply = self._msg("error", {"code": e.code, "message": e.message}, m["id"])
        except Exception as e:  # a bug in a handler must not kill the extension
            reply = self._msg("error", {"code": "failed", "message": repr(e)}, m["id"])
        self.send(reply)
        return method != "shutdown"

    def run(self):
        while True:
            if self._queued:
                m = self._queued.pop(0)
            else:
                m = self._next()
                if m is None:
                    return
            if not self._handle(m):
                return
