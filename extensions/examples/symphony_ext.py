"""Minimal helper (Python standard library only) for writing a Symphony extension.

Speaks `Message` envelopes as JSON lines on stdin/stdout: answers the lifecycle
requests (initialize, activate, deactivate, shutdown), dispatches other requests to
handlers registered with `@ext.method("name")`, publishes events with `ext.event`, and
calls the host with `ext.call_host` (which waits for the host's reply).
"""

import json
import sys
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
        # Called as on_event(topic, data) for events from the host (keys for motifs...).
        self.on_event = None

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
        sys.stdout.write(json.dumps(m, separators=(",", ":")) + "\n")
        sys.stdout.flush()

    def event(self, topic, data):
        self.send(self._msg("event", {"topic": topic, "data": data}))

    def call_host(self, method, params):
        """Asks the host; returns the result or raises ExtError with its code."""
        req = self._msg("request", {"method": method, "params": params})
        self.send(req)
        for line in sys.stdin:
            try:
                m = json.loads(line)
            except ValueError:
                continue
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
                line = sys.stdin.readline()
                if not line:
                    return
                try:
                    m = json.loads(line)
                except ValueError:
                    continue
            if not self._handle(m):
                return
