"""gunicorn settings for bench/chat.py: one gevent worker, no access log.

With BENCH_STORAGE_TIMING=<file>, the worker counts its calls into mongomock (the
in-process MongoDB stand-in) and the chat messages it inserts, and writes
`<seconds inside> <calls> <messages inserted> <full garbage collections> <longest of
them, s>` to that file twice a second. The seconds are
measured only with BENCH_STORAGE_CLOCK=1 (else 0): wall time inside the calls, which
includes the worker's time preempted by other processes; a CPU clock would be exact but
costs a system call per reading, more than many mongomock calls themselves."""

import gc
import os
import time

worker_class = "gevent"
workers = 1
worker_connections = 20000
timeout = 120
accesslog = None
errorlog = "-"
loglevel = "warning"

TIMED = {"Collection": ("find_one", "insert_one", "find_one_and_update", "update_one", "update_many",
                        "count_documents", "delete_one", "delete_many", "distinct"),
         "Cursor": ("__next__", "__getitem__", "count", "distinct")}


def time_storage(path: str) -> None:
    import gevent
    import mongomock.collection

    clock = time.perf_counter if os.environ.get("BENCH_STORAGE_CLOCK") == "1" else (lambda: 0.0)
    totals = {"seconds": 0.0, "calls": 0, "depth": 0, "stored": 0}

    def timed(method):
        def wrapper(*args, **kwargs):
            if method.__name__ == "insert_one" and args[0].name == "chat_messages":
                totals["stored"] += 1
            if totals["depth"]:  # a call inside a timed call is already counted
                return method(*args, **kwargs)
            totals["depth"] += 1
            started = clock()
            try:
                return method(*args, **kwargs)
            finally:
                totals["depth"] -= 1
                totals["seconds"] += clock() - started
                totals["calls"] += 1
        return wrapper

    for class_name, methods in TIMED.items():
        cls = getattr(mongomock.collection, class_name)
        for name in methods:
            if hasattr(cls, name):
                setattr(cls, name, timed(getattr(cls, name)))

    pauses = {"started": 0.0, "count": 0, "longest": 0.0}

    def garbage_collection(phase, info):
        if info["generation"] != 2:
            return
        if phase == "start":
            pauses["started"] = time.perf_counter()
        else:
            pauses["count"] += 1
            pauses["longest"] = max(pauses["longest"], time.perf_counter() - pauses["started"])

    gc.callbacks.append(garbage_collection)

    def report():
        while True:
            try:
                with open(path + ".tmp", "w") as out:
                    out.write(f"{totals['seconds']} {totals['calls']} {totals['stored']} "
                              f"{pauses['count']} {pauses['longest']}\n")
                os.replace(path + ".tmp", path)
            except OSError:
                return  # the benchmark removed its directory: it is over
            gevent.sleep(0.5)

    gevent.spawn(report)


def post_worker_init(worker):
    if os.environ.get("BENCH_STORAGE_TIMING"):
        time_storage(os.environ["BENCH_STORAGE_TIMING"])
