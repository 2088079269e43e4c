"""symphony: workflows, agent tools and policies for the Symphony editor, in Python.

The Python half of the `symphony` module; its Rust half (`symphony._rs`) is built by
orchestrator/src/python/bridge.rs. Users write:

    import symphony

    @symphony.workflow(name="shout", description="Upper-case the selection")
    async def shout(ctx):
        text = await ctx.model("Upper-case this:\n" + ctx.selection)
        ctx.propose_edit(ctx.file_path, ctx.file.replace(ctx.selection, text))
        return text
"""

import asyncio
import inspect
import traceback
import types
import typing

_rs = None  # set by Rust: the native half
_workflows = {}  # name -> (fn, description, path)
_tools = {}  # name -> (fn, description, schema, path)
_policies = {}  # kind -> (fn, path)
_loading = None  # the file being loaded
POLICY_KINDS = ("instrument", "fallback", "score")


class NodeError(Exception):
    """A Symphony node (a model call, a command...) failed; the message says why."""


def workflow(name=None, description=None):
    """Registers `async def f(ctx)` as a workflow shown in the palette."""

    def register(fn):
        if not inspect.iscoroutinefunction(fn):
            raise TypeError(f"@symphony.workflow needs an `async def`, {fn.__name__} is not one")
        _workflows[name or fn.__name__] = (fn, description, _loading)
        return fn

    return register


def policy(kind):
    """Registers a policy: "instrument" (node, prompt, instruments, default) -> name or None;
    "fallback" (node, instrument, error, attempt, instruments) -> name or None;
    "score" (candidates) -> list of floats (the highest wins)."""
    if kind not in POLICY_KINDS:
        raise ValueError(f"unknown policy kind {kind!r}: one of {', '.join(POLICY_KINDS)}")

    def register(fn):
        _policies[kind] = (fn, _loading)
        return fn

    return register


_JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean", dict: "object"}


def _schema_of(annotation):
    if annotation is inspect.Parameter.empty:
        return {}
    origin = typing.get_origin(annotation)
    if origin in (list, tuple):
        args = typing.get_args(annotation)
        return {"type": "array", "items": _schema_of(args[0]) if args else {}}
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _schema_of(args[0]) if len(args) == 1 else {"anyOf": [_schema_of(a) for a in args]}
    if annotation in _JSON_TYPES:
        return {"type": _JSON_TYPES[annotation]}
    raise TypeError(f"unsupported parameter type {annotation!r} (use str, int, float, bool, list, dict)")


def _doc_params(doc):
    """`name: text` lines of an `Args:` section of a docstring."""
    out, inside = {}, False
    for line in (doc or "").splitlines():
        s = line.strip()
        if s.lower() in ("args:", "arguments:", "parameters:"):
            inside = True
        elif inside and ":" in s:
            k, v = s.split(":", 1)
            out[k.strip().split(" ")[0]] = v.strip()
        elif inside and not s:
            inside = False
    return out


def tool(fn=None, *, name=None):
    """Registers a typed function as an agent tool; its signature and docstring become its
    JSON schema."""

    def register(f):
        sig = inspect.signature(f)
        hints = typing.get_type_hints(f)
        docs = _doc_params(f.__doc__)
        props, required = {}, []
        for p in sig.parameters.values():
            s = dict(_schema_of(hints.get(p.name, p.annotation)))
            if p.name in docs:
                s["description"] = docs[p.name]
            props[p.name] = s
            if p.default is inspect.Parameter.empty:
                required.append(p.name)
        schema = {"type": "object", "properties": props, "required": required}
        summary = inspect.getdoc(f) or ""
        summary = summary.split("\n\n")[0].strip()
        _tools[name or f.__name__] = (f, summary, schema, _loading)
        return f

    return register(fn) if fn is not None else register


class Context:
    """What a workflow receives: the editor's context and the calls that become nodes."""

    def __init__(self, handle, info):
        self._h = handle
        self.selection = info["selection"]
        self.file = info["file"]
        self.file_path = info["path"]
        self.language = info["language"]
        self.diagnostics = info["diagnostics"]
        self.workspace = info["workspace"]

    def _future(self):
        loop = asyncio.get_running_loop()
        fut = loop.create_future()

        def settle(ok, value):
            loop.call_soon_threadsafe(_settle, fut, ok, value)

        return fut, settle

    def model(self, prompt, instrument=None):
        """Awaitable: the model's answer (streamed into the AI pane)."""
        fut, settle = self._future()
        _rs.model(self._h, str(prompt), instrument, settle)
        return fut

    async def run(self, cmd):
        """Runs `cmd` with `sh -c` in the workspace: (code, stdout, stderr)."""
        fut, settle = self._future()
        _rs.run(self._h, str(cmd), settle)
        code, out, err = await fut
        return types.SimpleNamespace(code=code, stdout=out, stderr=err)

    def ask(self, question, choices=("yes", "no")):
        """Awaitable: the choice the user picks."""
        fut, settle = self._future()
        _rs.ask(self._h, str(question), [str(c) for c in choices], settle)
        return fut

    def propose_edit(self, path, new_text):
        """Proposes replacing the text of `path` (reviewed in the editor before it applies)."""
        _rs.propose_edit(self._h, None if path is None else str(path), str(new_text))

    def artifact(self, kind, text, tags=()):
        """Stores `text` in the artifact store."""
        _rs.artifact(self._h, str(kind), str(text), [str(t) for t in tags])


def _settle(fut, ok, value):
    if fut.done():
        return
    if ok:
        fut.set_result(value)
    else:
        fut.set_exception(NodeError(value))


def _load(path):
    """Loads a workflow file (its old registrations go first); the traceback, or None."""
    global _loading
    _forget(path)
    _loading = path
    try:
        with open(path, encoding="utf-8") as f:
            source = f.read()
        code = compile(source, path, "exec")
        exec(code, {"__name__": "symphony_user", "__file__": path})
        return None
    except BaseException:
        _forget(path)
        return traceback.format_exc()
    finally:
        _loading = None


def _forget(path):
    for reg in (_workflows, _tools):
        for k in [k for k, v in reg.items() if v[-1] == path]:
            del reg[k]
    for k in [k for k, v in _policies.items() if v[1] == path]:
        del _policies[k]


def _start(loop, name, handle, info, done):
    """Starts workflow `name` as a task of `loop` (from any thread); the task is returned
    and `done(ok, text)` is called with its answer or traceback."""
    entry = _workflows.get(name)
    if entry is None:
        done(False, f"no Python workflow named {name!r}")
        return None
    fn = entry[0]

    async def body():
        try:
            result = await fn(Context(handle, info))
            if result is not None and not isinstance(result, str):
                raise TypeError(
                    f"workflow {name!r} must return a str or None, not {type(result).__name__}"
                )
            done(True, result)
        except asyncio.CancelledError:
            done(False, "cancelled")
        except BaseException:
            done(False, traceback.format_exc())

    def create():
        holder.append(loop.create_task(body()))

    holder = []
    loop.call_soon_threadsafe(create)
    return holder


def _is_running(loop, holder):
    task = holder[0] if holder else None
    return task is not None and asyncio.current_task(loop) is task


def _cancel(loop, holder):
    if holder:
        loop.call_soon_threadsafe(holder[0].cancel)
    else:
        loop.call_soon_threadsafe(lambda: holder and holder[0].cancel())


def _done(holder):
    return bool(holder) and holder[0].done()
