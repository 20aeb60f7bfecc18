#!/usr/bin/env python3
"""Send demo_app tasks at a steady rate, then print a JSON summary of what was sent.

  python send_traffic.py --rate 20 --duration 60 --mix add=60,echo=20,error=10,sleep=5,retry=5
  python send_traffic.py --count 20               # exactly 20 tasks, as fast as --rate allows
  python send_traffic.py --rate 20 --duration 0   # until SIGINT/SIGTERM (npm start)

The mix is followed exactly, not sampled: a smooth weighted round-robin picks each next task, so
--count 20 with add=60,echo=20,error=10,sleep=5,retry=5 sends 12 add, 4 echo, 2 error, 1 sleep and
1 retry. Results are not kept unless --keep-results (workers would otherwise pile them up in a
reply queue nobody reads). Broker: CELERY_BROKER_URL, as for demo_app.
"""
import argparse
import json
import os
import random
import signal
import sys
import time

ARGS_FOR = {
    "add": lambda o, rnd: (rnd.randint(0, 1000), rnd.randint(0, 1000)),
    "echo": lambda o, rnd: (f"hello-{rnd.randint(0, 1_000_000)}",),
    "error": lambda o, rnd: ("demo failure",),
    "sleep": lambda o, rnd: (o.sleep_seconds,),
    "retry": lambda o, rnd: (o.retry_times,),
    "abortable_sleep": lambda o, rnd: (o.sleep_seconds,),
}


def parse_mix(text):
    mix = {}
    for part in text.split(","):
        name, sep, weight = part.strip().partition("=")
        if not sep or name not in ARGS_FOR:
            raise argparse.ArgumentTypeError(f"bad mix entry {part!r}; names: {', '.join(ARGS_FOR)}")
        if not weight.isdigit():
            raise argparse.ArgumentTypeError(f"weight of {name!r} must be a non-negative integer")
        if int(weight) > 0:
            mix[name] = int(weight)
    if not mix:
        raise argparse.ArgumentTypeError("the mix has no task with a positive weight")
    return mix


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rate", type=float, default=10.0, help="tasks per second (default 10)")
    p.add_argument("--duration", type=float, default=10.0, help="seconds; 0 = until interrupted (default 10)")
    p.add_argument("--count", type=int, default=None, help="send exactly N tasks (overrides --duration)")
    p.add_argument("--mix", type=parse_mix, default=parse_mix("add=60,echo=20,error=10,sleep=5,retry=5"))
    p.add_argument("--sleep-seconds", type=float, default=0.5, help="argument of sleep tasks (default 0.5)")
    p.add_argument("--retry-times", type=int, default=2, help="argument of retry tasks (default 2)")
    p.add_argument("--queue", default=None, help="send to this queue instead of the default 'celery'")
    p.add_argument("--seed", type=int, default=None, help="seed for task arguments")
    p.add_argument("--keep-results", action="store_true", help="keep the result backend enabled")
    p.add_argument("--ids", action="store_true", help="include every task id in the summary")
    o = p.parse_args(argv)
    if o.rate <= 0:
        p.error("--rate must be positive")
    return o


class SmoothWeightedRoundRobin:
    def __init__(self, weights):
        self.weights = weights
        self.total = sum(weights.values())
        self.current = dict.fromkeys(weights, 0)

    def next(self):
        for name, weight in self.weights.items():
            self.current[name] += weight
        best = max(self.current, key=self.current.get)
        self.current[best] -= self.total
        return best


def main(argv):
    o = parse_args(argv)
    if not o.keep_results:
        # Must happen before demo_app is imported: it reads the variable once.
        os.environ["CELERY_RESULT_BACKEND"] = ""
    from demo_app import app

    stop = {"requested": False}

    def request_stop(_signum, _frame):
        stop["requested"] = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    rnd = random.Random(o.seed)
    picker = SmoothWeightedRoundRobin(o.mix)
    sent = {f"tasks.{name}": 0 for name in o.mix}
    ids = {name: [] for name in sent}
    options = {"ignore_result": not o.keep_results}
    if o.queue:
        options["queue"] = o.queue
    interval = 1.0 / o.rate
    started = time.monotonic()
    deadline = None if o.count is not None or o.duration <= 0 else started + o.duration
    total = 0
    error = None
    try:
        with app.producer_or_acquire() as producer:
            while not stop["requested"]:
                if o.count is not None and total >= o.count:
                    break
                due = started + total * interval
                now = time.monotonic()
                if deadline is not None and due >= deadline:
                    break
                if due > now:
                    time.sleep(due - now)
                    continue
                name = picker.next()
                task_name = f"tasks.{name}"
                result = app.send_task(task_name, args=ARGS_FOR[name](o, rnd), producer=producer, **options)
                sent[task_name] += 1
                if o.ids:
                    ids[task_name].append(result.id)
                total += 1
    except Exception as exc:  # the broker went away: still report what was sent
        error = f"{type(exc).__name__}: {exc}"
    elapsed = time.monotonic() - started
    summary = {"sent": sent, "total": total, "elapsed_s": round(elapsed, 3),
               "rate_per_s": round(total / elapsed, 2) if elapsed > 0 else None}
    if o.ids:
        summary["ids"] = ids
    if error:
        summary["error"] = error
    print(json.dumps(summary), flush=True)
    return 1 if error else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
