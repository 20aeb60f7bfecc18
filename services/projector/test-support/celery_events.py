#!/usr/bin/env python3
"""Test support for the projector's integration tests (run with the Celery venv's python).

  capture <broker_url> <out.jsonl>   Sends a mix of demo_app tasks (success, failure, retries,
                                     a revoked eta task, a chain) and records every raw event the
                                     celeryev exchange carries, in arrival order, one JSON per line:
                                     {"receivedAtMs": ..., "event": {...}} (task.multi lists unpacked).
  state <in.jsonl>                   Feeds those events, in that order, into Celery's own
                                     celery.events.state.State and prints its tasks as JSON.
"""
import json
import os
import socket
import sys
import time


def capture(broker_url, out_path):
    sys.path.insert(0, os.environ["CELERIAC_CELERY_APP_DIR"])
    os.environ["CELERY_RESULT_BACKEND"] = ""  # nothing reads results here
    from kombu import Consumer, Exchange, Queue
    from celery import chain
    from demo_app import app

    app.conf.broker_url = broker_url
    records = []
    terminal = set()

    def on_message(body, message):
        now_ms = int(time.time() * 1000)
        for event in body if isinstance(body, list) else [body]:
            records.append({"receivedAtMs": now_ms, "event": event})
            if event.get("type") in ("task-succeeded", "task-failed", "task-revoked"):
                terminal.add(event.get("uuid"))
        message.ack()

    with app.connection_for_write() as conn:
        channel = conn.channel()
        queue = Queue("celeriac-capture-%d" % os.getpid(), Exchange("celeryev", "topic", durable=True),
                      routing_key="#", auto_delete=True, durable=False)
        with Consumer(channel, queues=[queue], callbacks=[on_message], accept=["json"]):
            sent = []
            for x in range(3):
                sent.append(app.send_task("tasks.add", args=(x, 2)).id)
            sent.append(app.send_task("tasks.echo", args=("hello",)).id)
            sent.append(app.send_task("tasks.error", args=("demo failure",)).id)
            sent.append(app.send_task("tasks.retry", args=(2,)).id)
            delayed = app.send_task("tasks.add", args=(5, 5), countdown=2).id
            app.control.revoke(delayed)
            sent.append(delayed)
            result = chain(app.signature("tasks.add", args=(1, 2)), app.signature("tasks.add", args=(10,))).apply_async()
            sent.append(result.id)
            sent.append(result.parent.id)
            deadline = time.time() + 90
            while time.time() < deadline and not set(sent) <= terminal:
                _drain(conn, 1)
            # A few more seconds so heartbeats are part of the capture too.
            until = time.time() + 3
            while time.time() < until:
                _drain(conn, 0.5)
    with open(out_path, "w") as out:
        for record in records:
            out.write(json.dumps(record) + "\n")
    missing = set(sent) - terminal
    if missing:
        sys.exit("tasks never finished: %s" % sorted(missing))


def _drain(conn, seconds):
    try:
        conn.drain_events(timeout=seconds)
    except socket.timeout:
        pass


def state(in_path):
    from celery.events.state import State

    st = State()
    with open(in_path) as source:
        for line in source:
            record = json.loads(line)
            event = dict(record["event"])
            event["local_received"] = record["receivedAtMs"] / 1000.0
            st.event(event)
    tasks = {}
    for uuid, task in st.tasks.items():
        tasks[uuid] = {
            "state": task.state, "name": task.name, "args": task.args, "kwargs": task.kwargs,
            "result": task.result, "exception": task.exception, "retries": task.retries,
            "worker": task.worker.hostname if task.worker else None, "client": task.client,
            "sent": task.sent, "received": task.received, "started": task.started,
            "succeeded": task.succeeded, "failed": task.failed, "retried": task.retried,
            "revoked": task.revoked, "runtime": task.runtime, "parent_id": task.parent_id,
            "root_id": task.root_id, "children": sorted(child.id for child in task.children),
            "exchange": task.exchange, "routing_key": task.routing_key,
        }
    json.dump(tasks, sys.stdout)


if __name__ == "__main__":
    if sys.argv[1] == "capture":
        capture(sys.argv[2], sys.argv[3])
    else:
        state(sys.argv[2])
