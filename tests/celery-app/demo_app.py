"""The small Celery 5.5 application Celeriac's end-to-end tests and demo run.

Workers: ``celery -A demo_app worker -E`` from this directory (see start-workers.sh).
Broker: ``CELERY_BROKER_URL`` (default: the local RabbitMQ of infra/local).
Results: ``CELERY_RESULT_BACKEND`` (default ``rpc://``; set it empty to disable results).

Task names are explicit so they are the same whatever module imports them: tests match on them.
"""
import os
import time

from celery import Celery
from celery.contrib.abortable import AbortableTask

DEFAULT_BROKER_URL = "amqp://celeriac:celeriac@127.0.0.1:5672/"

_backend = os.environ.get("CELERY_RESULT_BACKEND", "rpc://")

app = Celery(
    "demo",
    broker=os.environ.get("CELERY_BROKER_URL", DEFAULT_BROKER_URL),
    backend=_backend or None,
)
app.conf.update(
    # Celeriac exists to watch these events: workers emit task-* events without needing -E,
    # and clients emit task-sent.
    worker_send_task_events=True,
    task_send_sent_event=True,
    task_track_started=True,
    task_serializer="json",
    result_serializer="json",
    event_serializer="json",
    accept_content=["json"],
    result_accept_content=["json"],
    broker_connection_retry_on_startup=True,
    # Tests start and kill workers a lot; do not let a dead worker hold prefetched tasks long.
    worker_prefetch_multiplier=1,
)


@app.task(name="tasks.add")
def add(x, y):
    return x + y


@app.task(name="tasks.echo")
def echo(value):
    return value


@app.task(name="tasks.error")
def error(msg="boom"):
    raise ValueError(msg)


@app.task(name="tasks.sleep")
def sleep(seconds):
    time.sleep(float(seconds))
    return seconds


@app.task(bind=True, name="tasks.retry", max_retries=None)
def retry(self, times=1):
    """Retries `times` times (countdown 0), then fails: task-retried events, then task-failed."""
    if self.request.retries < int(times):
        raise self.retry(countdown=0, exc=RuntimeError(f"retry {self.request.retries + 1} of {times}"))
    raise RuntimeError(f"gave up after {times} retries")


def _can_see_aborts(task):
    # AbortableTask reads the ABORTED state from the result backend; the rpc:// backend keeps no
    # state a worker could read back (and reading it would consume from the caller's reply queue),
    # and a disabled backend has none at all. There, revoke(terminate=True) is the way to stop it.
    return type(task.backend).__name__ not in ("RPCBackend", "DisabledBackend")


@app.task(bind=True, base=AbortableTask, name="tasks.abortable_sleep")
def abortable_sleep(self, seconds):
    """Sleeps in 0.1 s steps, stopping early if the task was aborted (needs a stateful backend)."""
    deadline = time.monotonic() + float(seconds)
    check = _can_see_aborts(self)
    while time.monotonic() < deadline:
        if check and self.is_aborted():
            return "aborted"
        time.sleep(0.1)
    return seconds
