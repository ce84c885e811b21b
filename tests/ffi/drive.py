"""Calls libsscard.so through ctypes for the Rust tests (tests/ffi_lib.rs, tests/pcscd_ffi.rs).

Usage: drive.py LIB CALLS_JSON     (all calls, one JSON list printed)
       drive.py LIB -              (one JSON call per line on stdin, one JSON result per line:
                                    the process, and a pending two-step read, stay alive)
CALLS_JSON is a list of calls, each [function, arg...]: integers are passed as int, strings
as GBK-encoded char*, null as a null pointer; "null:FUNCTION" passes null output buffers. ["threads", N, call] runs `call` in N threads at
once. Prints a JSON list with, per call, {"rc": code, "out": [text of each output buffer,
decoded from GBK], "overrun": whether a byte after the documented maximum changed}.
"""
import ctypes
import json
import sys
import threading

OUT_MAX = 1024
INFO_MAX = 32
GUARD = 64

lib = ctypes.CDLL(sys.argv[1])

# Output buffers per function: their documented maximum (sscard.h).
OUTPUTS = {
    "iGetReaderInfo": [INFO_MAX, INFO_MAX],
}


def buffer(size):
    buf = ctypes.create_string_buffer(b"\xAA" * (size + GUARD), size + GUARD)
    return buf


def call(spec):
    name, args = spec[0], spec[1:]
    if name == "threads":
        n, inner = args
        results = [None] * n

        def run(i):
            results[i] = call(inner)

        ts = [threading.Thread(target=run, args=(i,)) for i in range(n)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        return {"threads": results}
    null_out = name.startswith("null:")
    name = name.removeprefix("null:")
    fn = getattr(lib, name)
    fn.restype = ctypes.c_long
    c_args = []
    for a in args:
        if a is None:
            c_args.append(ctypes.c_char_p(None))
        elif isinstance(a, int):
            c_args.append(ctypes.c_int(a))
        else:
            c_args.append(ctypes.c_char_p(a.encode("gbk")))
    sizes = OUTPUTS.get(name, [OUT_MAX])
    bufs = [buffer(s) for s in sizes]
    if null_out:
        return {"rc": fn(*c_args, *[ctypes.c_char_p(None) for _ in sizes]), "out": []}
    rc = fn(*c_args, *bufs)
    outs, overrun = [], False
    for b, s in zip(bufs, sizes):
        raw = b.raw
        overrun = overrun or raw[s:] != b"\xAA" * GUARD
        text = raw[:s].split(b"\0", 1)[0]
        outs.append(text.decode("gbk"))
    return {"rc": rc, "out": outs, "overrun": overrun}


if sys.argv[2] == "-":
    for line in sys.stdin:
        print(json.dumps(call(json.loads(line)), ensure_ascii=False), flush=True)
else:
    print(json.dumps([call(c) for c in json.loads(sys.argv[2])], ensure_ascii=False))
