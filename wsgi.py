"""The WSGI entry point for gunicorn (`wsgi:app`) and `flask --app wsgi`."""

import os

from app import create_app

app = create_app()

if os.environ.get("DEMO_SEED") == "1":
    # `make run` on the embedded defaults: MongoDB is then in this process's memory, so the
    # demo data (item content included) is seeded here, in the process that serves it.
    from app.services.seed import seed_demo

    with app.app_context():
        seed_demo(users=20, password="dreamdot-demo-pass")  # noqa: S106 - the documented demo password
