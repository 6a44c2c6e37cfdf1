"""A bare flask-sock echo endpoint: the floor the chat relay is measured against."""

from flask import Flask
from flask_sock import Sock

app = Flask(__name__)
sock = Sock(app)


@sock.route("/echo")
def echo(ws):
    while True:
        ws.send(ws.receive())
