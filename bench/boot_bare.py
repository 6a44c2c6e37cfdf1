"""The baseline of bench/boot.py: a Flask app that answers "ok" and nothing else."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def index() -> str:
    return "ok"
