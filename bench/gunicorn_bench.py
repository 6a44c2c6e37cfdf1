"""gunicorn settings for bench/chat.py: one gevent worker, no access log."""

worker_class = "gevent"
workers = 1
worker_connections = 20000
timeout = 120
accesslog = None
errorlog = "-"
loglevel = "warning"
