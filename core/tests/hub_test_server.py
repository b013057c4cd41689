"""A tiny local stand-in for the Hugging Face Hub's file endpoints, for tests.

It answers what ``huggingface_hub.hf_hub_download`` (2.x) asks when downloading into its cache:
``HEAD`` and ``GET /{repo_id}/resolve/{revision}/{filename}`` with the ``X-Repo-Commit``, ``ETag``
and ``Content-Length`` headers, and ``404`` with ``X-Error-Code: RepoNotFound`` /
``RevisionNotFound`` / ``EntryNotFound`` for what does not exist. A repo can be private: it then
answers only requests carrying ``Authorization: Bearer <token>`` (401 + RepoNotFound otherwise,
as the Hub does); a repo can also be set to fail every request with a given HTTP status. Any other path (e.g. ``/api/agent-harnesses``) is a plain 404.

The server listens on 127.0.0.1 on an ephemeral port, serves from a daemon thread, logs every
request (method, path, headers) and is stopped by :meth:`HubTestServer.stop`.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit


@dataclass
class Repo:
    """A repo: revision name (branch/tag) -> commit hash, and commit hash -> {filename: bytes}."""

    refs: dict[str, str] = field(default_factory=dict)
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)
    token: str | None = None  # private repo: the token it requires
    fail_status: int | None = None  # answer every request with this HTTP status (no error code)

    def add_commit(self, files: dict[str, bytes], *, ref: str | None = "main") -> str:
        digest = hashlib.sha1(repr(sorted(files.items())).encode() + str(len(self.commits)).encode()).hexdigest()
        self.commits[digest] = dict(files)
        if ref is not None:
            self.refs[ref] = digest
        return digest


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]


class HubTestServer:
    """Serve :class:`Repo` objects like the Hub; use as a context manager or call start()/stop()."""

    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add_repo(self, repo_id: str, files: dict[str, bytes], *, token: str | None = None) -> Repo:
        repo = Repo(token=token)
        repo.add_commit(files)
        self.repos[repo_id] = repo
        return repo

    def log(self, method: str | None = None) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if method is None or r.method == method]

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()

    def start(self) -> HubTestServer:
        handler = _make_handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> HubTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- routing ----------------------------------------------------------------------------
    def answer(self, method: str, raw_path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.requests.append(Request(method, raw_path, dict(headers)))
        path = unquote(urlsplit(raw_path).path)
        if "/resolve/" not in path:
            return 404, {}, b"not found"
        repo_id, rest = path.lstrip("/").split("/resolve/", 1)
        revision, _, filename = rest.partition("/")
        repo = self.repos.get(repo_id)
        if repo is None:
            return 404, {"X-Error-Code": "RepoNotFound"}, b"Repository not found"
        if repo.fail_status is not None:
            return repo.fail_status, {}, b"server error"
        if repo.token is not None and headers.get("authorization") != f"Bearer {repo.token}":
            return 401, {"X-Error-Code": "RepoNotFound"}, b"Repository not found"
        commit = repo.refs.get(revision, revision)
        files = repo.commits.get(commit)
        if files is None:
            return 404, {"X-Error-Code": "RevisionNotFound"}, b"Revision not found"
        if filename not in files:
            return 404, {"X-Error-Code": "EntryNotFound", "X-Repo-Commit": commit}, b"Entry not found"
        body = files[filename]
        etag = hashlib.sha256(body).hexdigest()
        return 200, {"X-Repo-Commit": commit, "ETag": f'"{etag}"', "Content-Type": "application/octet-stream"}, body


def _make_handler(server: HubTestServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = 10  # a stalled client cannot hold a thread for long

        def _serve(self, with_body: bool) -> None:
            headers = {key.lower(): value for key, value in self.headers.items()}
            status, extra, body = server.answer(self.command, self.path, headers)
            self.send_response(status)
            for key, value in extra.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def do_HEAD(self) -> None:  # noqa: N802 - http.server naming
            self._serve(with_body=False)

        def do_GET(self) -> None:  # noqa: N802
            self._serve(with_body=True)

        def log_message(self, format: str, *args: object) -> None:  # silence stderr logging
            pass

    return Handler
