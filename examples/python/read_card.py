#!/usr/bin/env python3
"""Read the social security card through libsscard.so with ctypes, as an existing Python
system would call its reader vendor's library.

    python3 examples/python/read_card.py [path/to/libsscard.so]

The reader, profile and keys come from /etc/sscard/sscard.toml (or SSCARD_* variables).
Prints the iReadCardBas line (decoded from GBK), or the code and its explanation.
"""
import ctypes
import sys

SSCARD_OUT_MAX = 1024  # sscard.h: the most bytes written to pOutInfo, NUL included

lib = ctypes.CDLL(sys.argv[1] if len(sys.argv) > 1 else "libsscard.so")
lib.iReadCardBas.argtypes = [ctypes.c_int, ctypes.c_char_p]
lib.iReadCardBas.restype = ctypes.c_long

out = ctypes.create_string_buffer(SSCARD_OUT_MAX)
rc = lib.iReadCardBas(1, out)  # 1: contact card
text = out.value.decode("gbk")
if rc != 0:
    print(f"iReadCardBas failed: {rc} {text}", file=sys.stderr)
    sys.exit(1)
fields = text.split("|")
print(text)
print(f"name {fields[4]}, social security number {fields[1]}, card number {fields[2]}")
