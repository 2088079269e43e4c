#!/usr/bin/env bash
# Builds and runs a real local inference server (llama.cpp) with a tiny generated model,
# for the Conductor's end-to-end instrument tests (orchestrator/tests/instruments_llama.rs).
# Everything comes from PyPI (llama-cpp-python sdist, cmake, ninja, gguf, numpy); a C/C++
# compiler must be present. The replies are gibberish; the engine, tokenizer, streaming
# and wire formats are real.
#
# Usage:
#   scripts/llm-server.sh install              # venv, both engines, tiny.gguf (~10 min on 2 cores, once)
#   scripts/llm-server.sh install-python       # only the python engine + model (~4 min)
#   scripts/llm-server.sh serve python|native PORT [HOST]   # run one server in the foreground
#   scripts/llm-server.sh start                # start both in the background, print exports
#   scripts/llm-server.sh stop                 # stop what `start` started
#
# `start` prints (and writes to $LLM_HOME/servers.env):
#   SYMPHONY_LLM_URL=http://127.0.0.1:8011         (python server: OpenAI-compatible)
#   SYMPHONY_LLM_NATIVE_URL=http://127.0.0.1:8012  (llama-server: also /v1/messages)
#
# Environment:
#   LLM_HOME     cache folder (default ~/.cache/symphony-llm); reused between runs
#   LLM_PYTHON   interpreter for the venv (default python3)
#   LLM_LLAMA_CPP_PYTHON_VERSION (default 0.3.36), LLM_GGUF_VERSION (default 0.19.0)
#   LLM_JOBS     compile jobs (default nproc); LLM_CTX context size (default 2048)
#   LLM_PORT / LLM_NATIVE_PORT  ports used by `start` (default 8011 / 8012)
set -euo pipefail

LLM_HOME="${LLM_HOME:-$HOME/.cache/symphony-llm}"
VERSION="${LLM_LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
GGUF_VERSION="${LLM_GGUF_VERSION:-0.19.0}"
JOBS="${LLM_JOBS:-$(nproc)}"
CTX="${LLM_CTX:-2048}"
VENV="$LLM_HOME/venv"
PY="$VENV/bin/python"
MODEL="$LLM_HOME/tiny.gguf"
NATIVE_BIN="$LLM_HOME/build-$VERSION/bin/llama-server"

log() { echo "[llm-server] $*" >&2; }
usage() { sed -n '8,14p' "$0" >&2; exit 2; }

ensure_venv() {
    mkdir -p "$LLM_HOME"
    if [ ! -x "$PY" ]; then
        log "creating venv $VENV"
        "${LLM_PYTHON:-python3}" -m venv "$VENV"
        "$PY" -m pip install --quiet --upgrade pip
    fi
    if ! "$PY" -c "import gguf, numpy" 2>/dev/null; then
        "$PY" -m pip install --quiet "gguf==$GGUF_VERSION" numpy
    fi
}

install_python_engine() {
    ensure_venv
    if "$PY" -c "import llama_cpp, llama_cpp.server, sys; sys.exit(llama_cpp.__version__ != '$VERSION')" 2>/dev/null; then
        return
    fi
    log "installing llama-cpp-python[server]==$VERSION (compiles llama.cpp, $JOBS jobs)"
    local t0=$SECONDS
    CMAKE_BUILD_PARALLEL_LEVEL="$JOBS" "$PY" -m pip install --quiet \
        "llama-cpp-python[server]==$VERSION"
    log "llama-cpp-python installed in $((SECONDS - t0)) s"
}

install_native_engine() {
    if [ -x "$NATIVE_BIN" ]; then
        return
    fi
    ensure_venv
    local t0=$SECONDS
    "$PY" -m pip install --quiet cmake ninja
    local src="$LLM_HOME/src"
    mkdir -p "$src"
    if [ ! -d "$src/llama_cpp_python-$VERSION" ]; then
        log "fetching llama-cpp-python $VERSION sdist (vendors llama.cpp)"
        "$PY" -m pip download --quiet --no-deps --no-binary llama-cpp-python \
            -d "$src" "llama-cpp-python==$VERSION"
        tar -xzf "$src/llama_cpp_python-$VERSION.tar.gz" -C "$src"
    fi
    log "building llama-server ($JOBS jobs)"
    "$VENV/bin/cmake" -S "$src/llama_cpp_python-$VERSION/vendor/llama.cpp" \
        -B "$LLM_HOME/build-$VERSION" -G Ninja \
        -DCMAKE_MAKE_PROGRAM="$VENV/bin/ninja" \
        -DCMAKE_BUILD_TYPE=Release \
        -DBUILD_SHARED_LIBS=OFF \
        -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON \
        -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF \
        -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
        -DLLAMA_OPENSSL=OFF >/dev/null
    "$VENV/bin/cmake" --build "$LLM_HOME/build-$VERSION" --target llama-server -j "$JOBS" >/dev/null
    log "llama-server built in $((SECONDS - t0)) s"
}

make_model() {
    ensure_venv
    # A model made by an older generator (without FIM tokens, say) is made again.
    write_gguf_tool "$LLM_HOME/make_tiny_gguf.py.new"
    if [ -f "$MODEL" ] && cmp -s "$LLM_HOME/make_tiny_gguf.py.new" "$LLM_HOME/make_tiny_gguf.py"; then
        rm -f "$LLM_HOME/make_tiny_gguf.py.new"
        return
    fi
    mv "$LLM_HOME/make_tiny_gguf.py.new" "$LLM_HOME/make_tiny_gguf.py"
    "$PY" "$LLM_HOME/make_tiny_gguf.py" "$MODEL.tmp" --eos-bias 1.5
    mv "$MODEL.tmp" "$MODEL"
    log "wrote $MODEL"
}

wait_ready() { # URL PID
    local i
    for i in $(seq 1 300); do
        if "$PY" - "$1" <<'PYEOF' 2>/dev/null; then return 0; fi
import sys, urllib.request
urllib.request.urlopen(sys.argv[1] + "/v1/models", timeout=1).read()
PYEOF
        kill -0 "$2" 2>/dev/null || { log "server $1 exited"; return 1; }
        sleep 0.1
    done
    log "server $1 not ready after 30 s"
    return 1
}

serve() { # ENGINE PORT [HOST]
    local engine="$1" port="$2" host="${3:-127.0.0.1}"
    [ -f "$MODEL" ] || { log "no model: run '$0 install' first"; exit 2; }
    log "starting $engine server on http://$host:$port"
    case "$engine" in
        python)
            exec "$PY" -m llama_cpp.server --model "$MODEL" --model_alias tiny \
                --host "$host" --port "$port" --n_ctx "$CTX" --verbose False \
                --interrupt_requests False ;;
        native)
            exec "$NATIVE_BIN" --model "$MODEL" --alias tiny \
                --host "$host" --port "$port" --ctx-size "$CTX" --parallel 1 --no-webui ;;
        *) log "engine must be python or native, not '$engine'"; exit 2 ;;
    esac
}

start_all() {
    local p="${LLM_PORT:-8011}" n="${LLM_NATIVE_PORT:-8012}" env="$LLM_HOME/servers.env"
    : >"$env"
    if "$PY" -c "import llama_cpp.server" 2>/dev/null && [ -f "$MODEL" ]; then
        "$0" serve python "$p" >"$LLM_HOME/python-server.log" 2>&1 &
        echo $! >"$LLM_HOME/python-server.pid"
        wait_ready "http://127.0.0.1:$p" "$!" && echo "export SYMPHONY_LLM_URL=http://127.0.0.1:$p" >>"$env"
    fi
    if [ -x "$NATIVE_BIN" ] && [ -f "$MODEL" ]; then
        "$0" serve native "$n" >"$LLM_HOME/native-server.log" 2>&1 &
        echo $! >"$LLM_HOME/native-server.pid"
        wait_ready "http://127.0.0.1:$n" "$!" && echo "export SYMPHONY_LLM_NATIVE_URL=http://127.0.0.1:$n" >>"$env"
    fi
    cat "$env"
}

stop_all() {
    local f
    for f in "$LLM_HOME/python-server.pid" "$LLM_HOME/native-server.pid"; do
        if [ -f "$f" ]; then
            kill "$(cat "$f")" 2>/dev/null || true
            rm -f "$f"
        fi
    done
    rm -f "$LLM_HOME/servers.env"
}

write_gguf_tool() {
    cat >"$1" <<'PYEOF'
#!/usr/bin/env python3
"""Write a tiny, randomly initialised llama-architecture model as a GGUF file.

The model is meant for end-to-end tests of clients that talk to a local
inference server (llama.cpp's llama-server, llama-cpp-python's server, ...):
it loads in milliseconds, produces a few hundred tokens per second on a laptop
CPU, and its output is deterministic gibberish made of printable ASCII.

What is inside:
  * architecture "llama": N layers, RMSNorm, rotary attention, SwiGLU FFN;
  * a byte-level BPE tokenizer ("gpt2" model, "default" pre-tokenizer):
    all 256 byte tokens, a few hundred merges learnt from a small built-in
    text, and three control tokens (<|endoftext|>, <|im_start|>, <|im_end|>);
  * a ChatML-style chat template;
  * random weights (seeded, so the file is byte-for-byte reproducible).

The embedding has a constant positive component in dimension 0 and the output
rows of control tokens, control bytes and non-ASCII bytes are strongly negative
in that dimension, so sampling never yields end-of-generation or invalid UTF-8:
generation runs until the request's max_tokens (or the context) is used up.
Pass --eos-bias with a positive value to let replies end by themselves
(finish_reason "stop"): around 1.0 they end after tens of tokens when sampling
with temperature ~0.8, around 1.5 also under greedy decoding, and from about
2.0 on they end almost at once.

Needs: pip install gguf numpy
Usage: python make_tiny_gguf.py tiny.gguf [--seed 0] [--layers 2] [--embd 64]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter

import numpy as np

import gguf

# A small original text used only to learn BPE merges, so that the generated
# gibberish is made of word-like pieces rather than single letters.
CORPUS = """
The quick editor opens a file, reads every line, and shows it on the screen.
When you type a key, the buffer changes and the view is drawn again.
A good tool should start fast, stay out of the way, and never lose your work.
Tests run in a loop: write a little code, run the tests, read the output,
and then write a little more. Small steps make the work easy to follow.
The model in this file knows nothing at all; its answers are random words
built from pieces of this text. It is only here so that a client can see
tokens arrive over the wire, one after another, until the reply is done.
Numbers like 0 1 2 3 4 5 6 7 8 9 10 42 100 and 2024 appear now and then.
Questions? Answers! Lists, commas; colons: quotes "like this" and (brackets).
"""

CONTROL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
# Fill-in-the-middle tokens (Qwen2.5-Coder names): llama-server's /infill refuses a
# model without them. Sampling never produces them (they are banned like the others).
FIM_TOKENS = {
    "fim_pre": "<|fim_prefix|>",
    "fim_suf": "<|fim_suffix|>",
    "fim_mid": "<|fim_middle|>",
    "fim_pad": "<|fim_pad|>",
    "fim_rep": "<|repo_name|>",
    "fim_sep": "<|file_sep|>",
}
CONTROL_TOKENS += list(FIM_TOKENS.values())

# ChatML-style; accepts content given as a string or as a list of
# {"type": "text", "text": ...} parts (other part types are skipped).
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' }}"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% elif message['content'] %}{% for part in message['content'] %}"
    "{% if part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}"
    "{{ '<|im_end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

# Pre-tokenizer used while learning merges: optional leading space followed by
# letters, digits or punctuation, or a run of whitespace.
WORD_RE = re.compile(r" ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+")


def byte_alphabet() -> list[str]:
    """Map each byte 0..255 to a printable unicode character.

    Bytes that are already visible characters keep their code point; the
    others (control characters, space, a few Latin-1 ones) are moved to
    code points starting at 256, in increasing byte order.
    """
    visible = set(range(ord("!"), ord("~") + 1))
    visible |= set(range(0xA1, 0xAC + 1))
    visible |= set(range(0xAE, 0xFF + 1))
    table = []
    extra = 0
    for b in range(256):
        if b in visible:
            table.append(chr(b))
        else:
            table.append(chr(256 + extra))
            extra += 1
    return table


def learn_merges(text: str, n_merges: int, alphabet: list[str]) -> list[tuple[str, str]]:
    """Plain BPE training over the byte-level form of `text`."""
    words = Counter(
        "".join(alphabet[b] for b in piece.encode("utf-8")) for piece in WORD_RE.findall(text)
    )
    splits = {w: list(w) for w in words}
    merges: list[tuple[str, str]] = []
    while len(merges) < n_merges:
        pairs: Counter = Counter()
        for w, parts in splits.items():
            for a, b in zip(parts, parts[1:]):
                pairs[(a, b)] += words[w]
        if not pairs:
            break
        # highest count first, ties broken by the pair itself (deterministic)
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        joined = best[0] + best[1]
        for w, parts in splits.items():
            i, out = 0, []
            while i < len(parts):
                if i + 1 < len(parts) and parts[i] == best[0] and parts[i + 1] == best[1]:
                    out.append(joined)
                    i += 2
                else:
                    out.append(parts[i])
                    i += 1
            splits[w] = out
    return merges


def build_vocab(n_merges: int):
    alphabet = byte_alphabet()
    tokens = list(alphabet)  # token id == byte value for the first 256
    types = [gguf.TokenType.NORMAL] * 256
    merges = learn_merges(CORPUS, n_merges, alphabet)
    seen = set(tokens)
    for a, b in merges:
        if a + b not in seen:
            seen.add(a + b)
            tokens.append(a + b)
            types.append(gguf.TokenType.NORMAL)
    for t in CONTROL_TOKENS:
        tokens.append(t)
        types.append(gguf.TokenType.CONTROL)
    merge_strings = [f"{a} {b}" for a, b in merges]

    # tokens that sampling should never produce: control tokens, and byte
    # tokens that are not printable ASCII or newline (keeps output valid UTF-8)
    allowed_bytes = set(range(0x20, 0x7F)) | {0x0A}
    banned = [i for i in range(256) if i not in allowed_bytes]
    banned += [tokens.index(t) for t in CONTROL_TOKENS]
    return tokens, types, merge_strings, banned


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("output", help="path of the .gguf file to write")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--embd", type=int, default=64, help="hidden size")
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=None, help="default: same as --heads")
    ap.add_argument("--ff", type=int, default=128, help="feed-forward size")
    ap.add_argument("--ctx", type=int, default=2048, help="training context length")
    ap.add_argument("--merges", type=int, default=256, help="BPE merges to learn (at most)")
    ap.add_argument("--dtype", choices=["f32", "f16"], default="f32", help="matrix weight type")
    ap.add_argument("--eos-bias", type=float, default=-6.0,
                    help="weight of <|endoftext|>/<|im_end|> on the constant direction "
                         "(default -6: replies never end early; 1.0-1.5: end after tens "
                         "of tokens; 2.0+: end at once)")
    args = ap.parse_args(argv)

    n_embd, n_head = args.embd, args.heads
    n_head_kv = args.kv_heads or n_head
    if n_embd % n_head or n_head % n_head_kv:
        ap.error("--embd must be divisible by --heads, and --heads by --kv-heads")
    head_dim = n_embd // n_head

    tokens, types, merges, banned = build_vocab(args.merges)
    n_vocab = len(tokens)
    eot = tokens.index("<|endoftext|>")
    im_end = tokens.index("<|im_end|>")

    rng = np.random.default_rng(args.seed)
    wtype = np.float32 if args.dtype == "f32" else np.float16

    def mat(rows: int, cols: int, std: float) -> np.ndarray:
        return (rng.standard_normal((rows, cols), dtype=np.float32) * std).astype(wtype)

    def ones(n: int) -> np.ndarray:
        return np.ones(n, dtype=np.float32)  # norm weights stay f32

    writer = gguf.GGUFWriter(args.output, "llama")
    writer.add_name("tiny-random-llama")
    writer.add_description("random weights, for wire-format tests only")
    writer.add_file_type(gguf.LlamaFileType.ALL_F32 if args.dtype == "f32"
                         else gguf.LlamaFileType.MOSTLY_F16)
    writer.add_context_length(args.ctx)
    writer.add_embedding_length(n_embd)
    writer.add_block_count(args.layers)
    writer.add_feed_forward_length(args.ff)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_head_kv)
    writer.add_rope_dimension_count(head_dim)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(n_vocab)

    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(eot)
    writer.add_eos_token_id(im_end)
    writer.add_eot_token_id(im_end)
    writer.add_pad_token_id(eot)
    for key, text in FIM_TOKENS.items():
        writer.add_uint32(f"tokenizer.ggml.{key}_token_id", tokens.index(text))
    writer.add_add_bos_token(False)
    writer.add_chat_template(CHAT_TEMPLATE)

    # token embeddings: random, plus a constant offset on dimension 0
    embd = rng.standard_normal((n_vocab, n_embd), dtype=np.float32)
    embd[:, 0] = 4.0
    writer.add_tensor("token_embd.weight", embd.astype(wtype))

    for i in range(args.layers):
        p = f"blk.{i}."
        writer.add_tensor(p + "attn_norm.weight", ones(n_embd))
        writer.add_tensor(p + "attn_q.weight", mat(n_head * head_dim, n_embd, 0.1))
        writer.add_tensor(p + "attn_k.weight", mat(n_head_kv * head_dim, n_embd, 0.1))
        writer.add_tensor(p + "attn_v.weight", mat(n_head_kv * head_dim, n_embd, 0.1))
        writer.add_tensor(p + "attn_output.weight", mat(n_embd, n_head * head_dim, 0.1))
        writer.add_tensor(p + "ffn_norm.weight", ones(n_embd))
        writer.add_tensor(p + "ffn_gate.weight", mat(args.ff, n_embd, 0.1))
        writer.add_tensor(p + "ffn_up.weight", mat(args.ff, n_embd, 0.1))
        writer.add_tensor(p + "ffn_down.weight", mat(n_embd, args.ff, 0.1))

    writer.add_tensor("output_norm.weight", ones(n_embd))
    out = rng.standard_normal((n_vocab, n_embd), dtype=np.float32) * 0.3
    out[:, 0] = 0.0
    out[banned, :] = 0.0
    out[banned, 0] = -6.0
    out[[eot, im_end], 0] = args.eos_bias
    writer.add_tensor("output.weight", out.astype(wtype))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    print(f"wrote {args.output}: vocab {n_vocab} ({len(merges)} merges), "
          f"{args.layers} layers, embd {n_embd}, heads {n_head}/{n_head_kv}, ff {args.ff}, "
          f"{args.dtype}, seed {args.seed}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
PYEOF
}

case "${1:-}" in
    install)
        t0=$SECONDS
        install_python_engine
        make_model
        install_native_engine
        log "install done in $((SECONDS - t0)) s" ;;
    install-python)
        install_python_engine
        make_model ;;
    serve) shift; [ $# -ge 2 ] || usage; serve "$@" ;;
    start) start_all ;;
    stop) stop_all ;;
    *) usage ;;
esac
