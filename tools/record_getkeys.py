#!/usr/bin/env python3
"""Records what a Redis server says the keys of sample commands are (COMMAND GETKEYS).

Usage: tools/record_getkeys.py PORT CASES OUTPUT
  CASES: one command a line, arguments separated by single spaces ("" is an empty argument).
  OUTPUT: the same lines, each followed by a tab and the key names separated by spaces, or by
  "!" and the error the server replied with.
"""
import socket
import sys

from record_command_reply import Reader, encode


# The bulk strings of a flat array reply, or None for an error reply.
def strings(raw):
    lines = raw.split(b"\r\n")
    if raw.startswith(b"-"):
        return None
    return [lines[i].decode() for i in range(2, len(lines) - 1, 2)]


def main():
    port, cases, output = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    out = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        reader = Reader(sock)
        for line in open(cases):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                out.append(line)
                continue
            argv = ["" if a == '""' else a for a in line.split(" ")]
            sock.sendall(encode(["COMMAND", "GETKEYS"] + argv))
            raw = reader.reply()
            keys = strings(raw)
            out.append(line + "\t" + ("!" + raw[1:].decode().strip() if keys is None
                                      else " ".join(keys)))
    with open(output, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
