#!/usr/bin/env python3
"""Listen on the `celeryev` exchange for a while and print what flowed, as JSON.

  python watch_events.py --seconds 5 [--until-count N] [--verbose]

Binds a temporary (exclusive, auto-delete) queue to `celeryev` with routing key `#`, as Celeriac's
collector and Flower do. Broker: CELERY_BROKER_URL (default: the local RabbitMQ). Prints
{"total": n, "types": {"task-succeeded": k, ...}, "hostnames": [...]} and exits 0 if any event came.
"""
import argparse
import json
import os
import socket
import sys
import time
import uuid

from kombu import Connection, Exchange, Queue

DEFAULT_BROKER_URL = "amqp://celeriac:celeriac@127.0.0.1:5672/"


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=5.0, help="how long to listen (default 5)")
    p.add_argument("--until-count", type=int, default=None, help="stop early after N events")
    p.add_argument("--verbose", action="store_true", help="print each event as a JSON line")
    o = p.parse_args(argv)

    types, hostnames, total = {}, set(), 0
    exchange = Exchange("celeryev", type="topic", durable=True)
    queue = Queue(f"celeriac.watch.{uuid.uuid4().hex[:8]}", exchange, routing_key="#",
                  exclusive=True, auto_delete=True, durable=False)
    deadline = time.monotonic() + o.seconds
    with Connection(os.environ.get("CELERY_BROKER_URL", DEFAULT_BROKER_URL), connect_timeout=5) as conn:
        def on_message(body, message):
            nonlocal total
            # Workers batch task events: routing key task.multi carries a list of events.
            events = body if isinstance(body, list) else [body]
            for event in events:
                if not isinstance(event, dict):
                    continue
                total += 1
                kind = event.get("type", "?")
                types[kind] = types.get(kind, 0) + 1
                if event.get("hostname"):
                    hostnames.add(event["hostname"])
                if o.verbose:
                    print(json.dumps(event, default=str), flush=True)
            message.ack()

        with conn.Consumer(queue, callbacks=[on_message], accept=["json"]):
            while time.monotonic() < deadline:
                if o.until_count is not None and total >= o.until_count:
                    break
                try:
                    conn.drain_events(timeout=max(0.05, min(0.5, deadline - time.monotonic())))
                except socket.timeout:
                    pass
    print(json.dumps({"total": total, "types": dict(sorted(types.items())), "hostnames": sorted(hostnames)}))
    return 0 if total else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
