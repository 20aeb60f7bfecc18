#!/usr/bin/env python3
"""Readiness probes for the local servers, stdlib only (runs before the Celery venv exists).

  probe.py tcp HOST PORT            something accepts TCP connections
  probe.py kafka HOST:PORT[,...]    a Kafka broker answers a Metadata request with >= 1 broker
  probe.py kafka-groups HOST:PORT   ... and can coordinate consumer groups (FindCoordinator OK;
                                    the first call creates __consumer_offsets)
  probe.py amqp URL                 an AMQP 0-9-1 server lets URL's user open URL's vhost

A port that accepts TCP is not enough: these speak each protocol, so "port taken by something
else" and "server up but not ready" are told apart. Exit 0 = ready, 1 = not; reason on stderr.
"""
import socket
import struct
import sys
from urllib.parse import unquote, urlparse

TIMEOUT_S = 3.0


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed by peer")
        buf += chunk
    return buf


def probe_tcp(host, port):
    with socket.create_connection((host, int(port)), timeout=TIMEOUT_S):
        return f"tcp {host}:{port} open"


def kafka_string(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def kafka_call(sock, api_key, correlation_id, payload):
    """One v0 request (header: api_key, version 0, correlation id, client id); the response body."""
    body = struct.pack(">hhi", api_key, 0, correlation_id) + kafka_string("celeriac-probe") + payload
    sock.sendall(struct.pack(">i", len(body)) + body)
    (size,) = struct.unpack(">i", recv_exact(sock, 4))
    if size <= 0 or size > 64 * 1024 * 1024:
        raise ValueError(f"not a Kafka response (size {size})")
    resp = recv_exact(sock, size)
    if struct.unpack(">i", resp[:4])[0] != correlation_id:
        raise ValueError("not a Kafka response (correlation id mismatch)")
    return resp[4:]


def probe_kafka(bootstrap, groups=False):
    host, _, port = bootstrap.split(",")[0].strip().rpartition(":")
    with socket.create_connection((host, int(port)), timeout=TIMEOUT_S) as sock:
        sock.settimeout(TIMEOUT_S)
        # Metadata v0 with an empty topic list.
        (brokers,) = struct.unpack(">i", kafka_call(sock, 3, 0x0CE1E, struct.pack(">i", 0))[:4])
        if brokers < 1:
            raise ValueError("Kafka answered but has no registered broker yet")
        if not groups:
            return f"kafka {host}:{port} answers metadata ({brokers} broker(s))"
        # FindCoordinator v0: 15 (not available) until __consumer_offsets exists, 14 while loading.
        (error,) = struct.unpack(">h", kafka_call(sock, 10, 0x0CE1F, kafka_string("celeriac-probe"))[:2])
        if error != 0:
            raise ValueError(f"Kafka cannot coordinate consumer groups yet (FindCoordinator error {error})")
        return f"kafka {host}:{port} answers metadata and coordinates consumer groups"


def amqp_frame(payload):
    return struct.pack(">BHI", 1, 0, len(payload)) + payload + b"\xce"


def shortstr(s):
    b = s.encode()
    return struct.pack(">B", len(b)) + b


def read_method(sock):
    ftype, _chan, size = struct.unpack(">BHI", recv_exact(sock, 7))
    payload = recv_exact(sock, size + 1)[:-1]
    if ftype != 1:
        raise ValueError(f"unexpected AMQP frame type {ftype}")
    cls, meth = struct.unpack(">HH", payload[:4])
    if (cls, meth) == (10, 50):
        (code,) = struct.unpack(">H", payload[4:6])
        text = payload[7 : 7 + payload[6]].decode(errors="replace")
        raise PermissionError(f"server closed the connection: {code} {text}")
    return cls, meth, payload[4:]


def probe_amqp(url):
    u = urlparse(url)
    if u.scheme not in ("amqp", "pyamqp"):
        raise ValueError(f"unsupported scheme {u.scheme!r} (expected amqp://)")
    host, port = u.hostname or "127.0.0.1", u.port or 5672
    user, password = unquote(u.username or "guest"), unquote(u.password or "guest")
    path = u.path[1:] if u.path.startswith("/") else u.path
    vhost = unquote(path) if path else "/"
    with socket.create_connection((host, port), timeout=TIMEOUT_S) as sock:
        sock.settimeout(TIMEOUT_S)
        sock.sendall(b"AMQP\x00\x00\x09\x01")
        try:
            if read_method(sock)[:2] != (10, 10):
                raise ValueError("expected connection.start")
        except (struct.error, ConnectionError) as exc:
            raise ValueError(f"not an AMQP 0-9-1 server ({exc})") from exc
        response = b"\x00" + user.encode() + b"\x00" + password.encode()
        # Without this capability RabbitMQ answers a bad password by silently dropping the socket.
        caps = shortstr("authentication_failure_close") + b"t\x01"
        props = shortstr("capabilities") + b"F" + struct.pack(">I", len(caps)) + caps
        start_ok = struct.pack(">HHI", 10, 11, len(props)) + props + shortstr("PLAIN")
        start_ok += struct.pack(">I", len(response)) + response + shortstr("en_US")
        sock.sendall(amqp_frame(start_ok))
        try:
            cls, meth, args = read_method(sock)
        except ConnectionError as exc:
            raise PermissionError(f"login refused for user {user!r}") from exc
        if (cls, meth) != (10, 30):
            raise ValueError("expected connection.tune")
        channel_max, frame_max, _hb = struct.unpack(">HIH", args[:8])
        sock.sendall(amqp_frame(struct.pack(">HHHIH", 10, 31, channel_max, frame_max, 0)))
        sock.sendall(amqp_frame(struct.pack(">HH", 10, 40) + shortstr(vhost) + shortstr("") + b"\x00"))
        try:
            if read_method(sock)[:2] != (10, 41):
                raise ValueError("expected connection.open-ok")
        except ConnectionError as exc:
            raise PermissionError(f"user {user!r} may not open vhost {vhost!r}") from exc
        close = struct.pack(">HHH", 10, 50, 200) + shortstr("probe done") + struct.pack(">HH", 0, 0)
        sock.sendall(amqp_frame(close))
    return f"amqp {host}:{port} vhost {vhost!r} open as {user!r}"


def main(argv):
    probes = {
        "tcp": (probe_tcp, 2),
        "kafka": (probe_kafka, 1),
        "kafka-groups": (lambda b: probe_kafka(b, groups=True), 1),
        "amqp": (probe_amqp, 1),
    }
    if len(argv) < 2 or argv[1] not in probes or len(argv) - 2 != probes[argv[1]][1]:
        print(__doc__, file=sys.stderr)
        return 2
    fn, _ = probes[argv[1]]
    try:
        print(fn(*argv[2:]))
        return 0
    except (OSError, ValueError, struct.error) as exc:
        print(f"{argv[1]} probe failed: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
