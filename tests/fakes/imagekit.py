"""A small local stand-in for ImageKit's HTTP API, served from a thread. The real
`imagekitio` SDK talks to it through IMAGEKIT_API_BASE; every request is recorded."""

from __future__ import annotations

import base64
import secrets
import threading
from dataclasses import dataclass, field

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@dataclass
class Recorded:
    method: str
    path: str
    authorization: str | None
    form: dict
    files: dict  # field -> (filename, bytes, content type)


@dataclass
class FakeImageKit:
    private_key: str = "private_test_key"
    requests: list[Recorded] = field(default_factory=list)
    stored: dict[str, str] = field(default_factory=dict)  # file id -> file path

    def __post_init__(self) -> None:
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    def start(self) -> FakeImageKit:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def authorized(self, request: Request) -> bool:
        """ImageKit's scheme: HTTP Basic with the private key as the user name."""
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        try:
            user = base64.b64decode(encoded).decode().partition(":")[0]
        except ValueError:
            return False
        return scheme == "Basic" and user == self.private_key

    def wsgi(self, environ, start_response):
        request = Request(environ)
        files = {name: (f.filename, f.read(), f.mimetype) for name, f in request.files.items()}
        self.requests.append(Recorded(request.method, request.path, request.headers.get("Authorization"),
                                      request.form.to_dict(), files))
        if not self.authorized(request):
            response = Response('{"message": "Your request does not contain private API key."}', 401,
                                content_type="application/json")
        elif request.method == "POST" and request.path == "/api/v1/files/upload":
            response = self.upload(request)
        elif request.method == "DELETE" and request.path.startswith("/v1/files/"):
            file_id = request.path.rsplit("/", 1)[1]
            found = self.stored.pop(file_id, None)
            response = Response(status=204) if found else Response('{"message": "not found"}', 404,
                                                                     content_type="application/json")
        else:
            response = Response('{"message": "no such route"}', 404, content_type="application/json")
        request.close()
        return response(environ, start_response)

    def upload(self, request: Request) -> Response:
        import json

        file_id = secrets.token_hex(12)
        folder = request.form.get("folder", "/").rstrip("/")
        path = f"{folder}/{request.form['fileName']}"
        self.stored[file_id] = path
        body = {"fileId": file_id, "name": request.form["fileName"], "filePath": path,
                "url": f"https://ik.example/{path.lstrip('/')}", "size": len(self.requests[-1].files["file"][1]),
                "fileType": "image"}
        return Response(json.dumps(body), 200, content_type="application/json")
