#!/usr/bin/env python3
"""A minimal WebSocket client for the process tests (standard library only).

  ws_client.py probe PORT [PATH]
      tries the upgrade and prints the HTTP status line's code (101 when
      accepted), then closes.
  ws_client.py run PORT OUTFILE [PATH]
      connects, then reads commands from stdin, one a line:
        send TEXT      a text frame
        ping PAYLOAD   a ping frame
        close          a close frame, then exits
      and appends what arrives to OUTFILE, one a line, flushed at once:
        open | text TEXT | pong PAYLOAD | close CODE | closed | http CODE
"""
import base64
import os
import socket
import struct
import sys
import threading

PATH = "/ws-api/v3"


def connect(port, path):
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                  "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    status = head.split(b"\r\n", 1)[0].split(b" ")
    code = int(status[1]) if len(status) > 1 and status[1].isdigit() else 0
    # Whatever came after the headers is the first frames' bytes
    rest = head.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in head else b""
    return sock, code, rest


def frame(opcode, payload):
    """A client frame: FIN set, masked as RFC 6455 requires."""
    mask = os.urandom(4)
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


class Reader:
    def __init__(self, sock, rest):
        self.sock, self.buf = sock, rest

    def need(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def frames(self):
        """Yields (opcode, payload), fragments joined."""
        parts, first = b"", None
        while True:
            b0, b1 = self.need(2)
            size = b1 & 0x7F
            if size == 126:
                size = struct.unpack("!H", self.need(2))[0]
            elif size == 127:
                size = struct.unpack("!Q", self.need(8))[0]
            mask = self.need(4) if b1 & 0x80 else None
            payload = self.need(size)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            opcode = b0 & 0x0F
            if opcode >= 8:                 # control frames come whole
                yield opcode, payload
                continue
            if opcode:
                first = opcode
            parts += payload
            if b0 & 0x80:
                yield first, parts
                parts = b""


def run(port, outfile, path):
    out = open(outfile, "a", buffering=1)
    sock, code, rest = connect(port, path)
    if code != 101:
        out.write(f"http {code}\n")
        return 1
    sock.settimeout(None)
    out.write("open\n")
    lock = threading.Lock()

    def read():
        try:
            for opcode, payload in Reader(sock, rest).frames():
                with lock:
                    if opcode == 1:
                        out.write("text " + payload.decode().replace("\n", " ") + "\n")
                    elif opcode == 10:
                        out.write("pong " + payload.decode(errors="replace") + "\n")
                    elif opcode == 9:
                        sock.sendall(frame(10, payload))
                    elif opcode == 8:
                        close = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 0
                        out.write(f"close {close}\n")
        except (EOFError, OSError):
            pass
        with lock:
            out.write("closed\n")
        os._exit(0)

    threading.Thread(target=read, daemon=True).start()
    for line in sys.stdin:
        verb, _, arg = line.rstrip("\n").partition(" ")
        try:
            if verb == "send":
                sock.sendall(frame(1, arg.encode()))
            elif verb == "ping":
                sock.sendall(frame(9, arg.encode()))
            elif verb == "close":
                sock.sendall(frame(8, struct.pack("!H", 1000)))
                break
        except OSError:
            break
    # stdin ended or close sent: wait briefly for the server's side
    sock.settimeout(2)
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    threading.Event().wait(2)
    return 0


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "probe":
        sock, code, _ = connect(int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else PATH)
        print(code)
        sock.close()
        return 0
    if len(sys.argv) >= 4 and sys.argv[1] == "run":
        return run(int(sys.argv[2]), sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else PATH)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
