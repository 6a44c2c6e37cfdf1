"""gunicorn settings for bench/chat.py: one gevent worker, no access log.

With BENCH_WORKER_GC=<file>, the worker writes `<full garbage collections> <longest of them,
s>` to that file twice a second."""

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


def report_garbage_collections(path: str) -> None:
    import gevent

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
                    out.write(f"{pauses['count']} {pauses['longest']}\n")
                os.replace(path + ".tmp", path)
            except OSError:
                return  # the benchmark removed its directory: it is over
            gevent.sleep(0.5)

    gevent.spawn(report)


def post_worker_init(worker):
    if os.environ.get("BENCH_WORKER_GC"):
        report_garbage_collections(os.environ["BENCH_WORKER_GC"])
