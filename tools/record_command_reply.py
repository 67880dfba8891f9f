#!/usr/bin/env python3
"""Records the raw reply of one command from a Redis server, byte for byte.

Usage: tools/record_command_reply.py PORT RESP_VERSION OUTPUT ARG...
  e.g. tools/record_command_reply.py 6390 3 tests/data/cluster/command_resp3.resp COMMAND

With RESP_VERSION 3 the connection first sends HELLO 3 (its reply is not recorded). The reply
is read until it is complete, by walking its RESP framing, so the file holds exactly one reply.
"""
import socket
import sys


def encode(args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


class Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.pos = 0

    def need(self, n):
        while len(self.buf) - self.pos < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed mid-reply")
            self.buf += chunk

    def line(self):
        while True:
            end = self.buf.find(b"\r\n", self.pos)
            if end >= 0:
                text = self.buf[self.pos:end]
                self.pos = end + 2
                return text
            self.need(len(self.buf) - self.pos + 1)

    # Skips one element; the bytes it spans stay in buf.
    def skip(self):
        head = self.line()
        kind, rest = head[:1], head[1:]
        if kind in (b"$", b"!", b"="):
            n = int(rest)
            if n >= 0:
                self.need(n + 2)
                self.pos += n + 2
        elif kind in (b"*", b"~", b">", b"%", b"|"):
            n = int(rest)
            count = 2 * n if kind in (b"%", b"|") else n
            for _ in range(max(count, 0)):
                self.skip()
            if kind == b"|":
                self.skip()  # an attribute precedes the element it describes

    def reply(self):
        start = self.pos
        self.skip()
        return self.buf[start:self.pos]


def main():
    port, version, output, args = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        reader = Reader(sock)
        if version == "3":
            sock.sendall(encode(["HELLO", "3"]))
            reader.reply()
        sock.sendall(encode(args))
        data = reader.reply()
    with open(output, "wb") as f:
        f.write(data)
    print("%s: %d bytes" % (output, len(data)))


if __name__ == "__main__":
    main()
