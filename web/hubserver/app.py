"""The hub-compatible Flask app: the read-only endpoints ``huggingface_hub`` uses.

Contract: shared/reference/hub-api.md §1 (endpoints), §2 (JSON fields) and the error table.
The client maps errors from the ``X-Error-Code`` header (HEAD answers have no body), so every
error carries it: ``RepoNotFound`` (401 anonymous, 404 with a token), ``RevisionNotFound``,
``EntryNotFound`` (with ``X-Repo-Commit``) and ``GatedRepo`` (401/403). Gated repos show their
info and tree to anyone; only file contents need an authorized token.

Paths are split from the raw request URI: the client quotes revisions and tree paths with
``safe=""``, so ``refs%2Fpr%2F1`` is one segment even though the server decodes ``%2F``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

from flask import Flask, Response, request

from web.hubserver.controls import FAULT_KEYS, ControlMiddleware, Fault, HubConfig, HubControls
from web.hubserver.files import RepoFile
from web.hubserver.layouts import INDEX_NAME
from web.hubserver.payloads import (
    EXPANDABLE,
    LIST_DEFAULT,
    LIST_FULL,
    info_payload,
    model_payload,
    tree_entry,
    tree_paths,
)
from web.hubserver.repos import FolderRegistry, Registry, Repo, Snapshot, parse_json

EXT = "hubserver"
_TRUE = {"1", "true", "yes", "on"}
_SORT_KEYS = {
    "downloads": lambda r: r.meta.downloads,
    "likes": lambda r: r.meta.likes,
    "trendingScore": lambda r: r.meta.trending_score,
    "createdAt": lambda r: r.meta.created_at,
    "lastModified": lambda r: r.main.last_modified,
    "id": lambda r: r.id.lower(),
}
_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$")
_SUFFIX = {"k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}


class HubState:
    """What the views share: the registry and the controls (config, log, faults)."""

    def __init__(self, registry: Registry, controls: HubControls) -> None:
        self.registry = registry
        self.controls = controls

    @property
    def config(self) -> HubConfig:
        """Run-time settings."""
        return self.controls.config


def create_hub_app(
    root: Path | str | Registry,
    *,
    page_size: int = 1000,
    max_body: int = 2 * 1024**3,
    controls: bool = False,
) -> Flask:
    """A Flask app serving ``root`` (a folder ``ORG/NAME/files`` or a :class:`Registry`).

    ``page_size`` bounds list and tree pages (the tree uses at most 50 with ``expand``);
    ``max_body`` is the longest body sent in one response (larger reads get 416: ask for a
    Range). ``controls=True`` adds the request log, fault injection and ``/_hub/*`` endpoints.
    """
    registry = root if isinstance(root, Registry) else FolderRegistry(Path(root))
    state = HubState(registry, HubControls(HubConfig(page_size=page_size, max_body=max_body)))
    app = Flask("web.hubserver")
    app.extensions[EXT] = state
    _register_api(app, state)
    if controls:
        _register_controls(app, state)
        app.wsgi_app = ControlMiddleware(app.wsgi_app, state.controls)  # type: ignore[method-assign]
    return app


def hub_state(app: Flask) -> HubState:
    """The :class:`HubState` of an app made by :func:`create_hub_app`."""
    return app.extensions[EXT]


# Helpers -----------------------------------------------------------------------------------


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers or {}, mimetype="application/json")


def hub_error(status: int, code: str | None, message: str, headers: dict[str, str] | None = None) -> Response:
    """An error the client can map: ``X-Error-Code``/``X-Error-Message`` plus ``{"error": ...}``."""
    out = dict(headers or {})
    if code:
        out["X-Error-Code"] = code
    out["X-Error-Message"] = message
    return _json({"error": message}, status, out)


def _token() -> str | None:
    value = request.headers.get("Authorization", "")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _flag(name: str) -> bool:
    return request.args.get(name, "").strip().lower() in _TRUE


def _raw_segments(prefix_parts: int) -> list[str]:
    """Path segments after the first ``prefix_parts``, each percent-decoded on its own."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if raw:
        path = urlsplit(raw).path if "://" in raw else raw.split("?", 1)[0]
        parts = [unquote(p) for p in path.split("/")[1:]]
    else:
        parts = request.path.split("/")[1:]
    return parts[prefix_parts:]


def _repo_or_error(repo_id: str) -> Repo | Response:
    """The repo if the caller may see it; otherwise the hub's RepoNotFound answer."""
    state = hub_state_current()
    repo = state.registry.get(repo_id)
    token = _token()
    if repo is None or (repo.meta.private and not repo.meta.allows(token)):
        # Anonymous callers get 401, like the hub, so private repos are not revealed.
        return hub_error(401 if token is None else 404, "RepoNotFound", f"Repository {repo_id} not found")
    return repo


def _gate(repo: Repo) -> Response | None:
    if not repo.meta.gated or repo.meta.allows(_token()):
        return None
    if _token() is None:
        return hub_error(
            401, "GatedRepo", f"Access to model {repo.id} is restricted: log in with a token that was granted access."
        )
    return hub_error(
        403, "GatedRepo", f"Access to model {repo.id} is restricted and your token is not among its approved users."
    )


def _repo_and_snapshot(repo_id: str, revision: str) -> tuple[Repo, Snapshot] | Response:
    """The repo and its snapshot at ``revision``, or the hub's error answer for either."""
    repo = _repo_or_error(repo_id)
    if isinstance(repo, Response):
        return repo
    snap = _snapshot_or_error(repo, revision)
    return snap if isinstance(snap, Response) else (repo, snap)


def _snapshot_or_error(repo: Repo, revision: str) -> Snapshot | Response:
    snap = repo.resolve(revision)
    if snap is None:
        return hub_error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
    return snap


def hub_state_current() -> HubState:
    """The state of the app handling the current request."""
    from flask import current_app

    return hub_state(current_app)


def _next_link(cursor: int) -> str:
    params = [(k, v) for k, v in request.args.items(multi=True) if k != "cursor"]
    params.append(("cursor", str(cursor)))
    return f'<{request.base_url}?{urlencode(params)}>; rel="next"'


def _cursor() -> int | Response:
    raw = request.args.get("cursor", "0")
    if not raw.isdigit():
        return hub_error(400, None, f"Invalid cursor {raw!r}")
    return int(raw)


def _expand_list() -> list[str] | Response:
    values = request.args.getlist("expand") + request.args.getlist("expand[]")
    unknown = [v for v in values if v not in EXPANDABLE]
    if unknown:
        return hub_error(400, None, f"Invalid expand value(s): {', '.join(unknown)}")
    return list(dict.fromkeys(values))


# API ---------------------------------------------------------------------------------------


def _register_api(app: Flask, state: HubState) -> None:
    @app.get("/api/agent-harnesses")
    def agent_harnesses() -> Response:
        # Must be an object: a JSON list here breaks every later call of the 1.x/2.x client.
        return _json({"standardEnvVars": [], "harnesses": {}})

    @app.get("/api/whoami-v2")
    def whoami() -> Response:
        token = _token()
        if token is None:
            return hub_error(401, None, "Invalid credentials in Authorization header")
        import hashlib

        name = "user-" + hashlib.sha1(token.encode(), usedforsecurity=False).hexdigest()[:8]
        return _json(
            {
                "type": "user",
                "id": hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:24],
                "name": name,
                "fullname": name,
                "orgs": [],
                "auth": {"type": "access_token", "accessToken": {"displayName": "local", "role": "read"}},
            }
        )

    @app.get("/api/models")
    def list_models() -> Response:
        return _list_models(state)

    @app.route("/api/models/<path:_rest>", methods=["GET", "HEAD", "POST"])
    def model_api(_rest: str) -> Response:
        parts = _raw_segments(2)
        if len(parts) < 2 or not parts[0] or not parts[1]:
            return hub_error(404, None, "Not Found")
        repo_id, more = f"{parts[0]}/{parts[1]}", parts[2:]
        kind = more[0] if more else ""
        if request.method == "POST":
            if kind == "paths-info" and len(more) == 2:
                return _paths_info(repo_id, more[1])
            return hub_error(405, None, "Method Not Allowed")
        if not more:
            return _model_info(state, repo_id, "main")
        if kind == "revision" and len(more) == 2:
            return _model_info(state, repo_id, more[1])
        if kind == "tree" and len(more) >= 2:
            return _tree(state, repo_id, more[1], "/".join(more[2:]))
        if kind == "safetensors-metadata" and len(more) >= 2:
            return _safetensors_metadata(repo_id, "/".join(more[1:]))
        return hub_error(404, None, "Not Found")

    @app.route("/<ns>/<name>/resolve/<path:_rest>", methods=["GET", "HEAD"])
    def resolve(ns: str, name: str, _rest: str) -> Response:
        parts = _raw_segments(3)
        if len(parts) < 2:
            return hub_error(404, "EntryNotFound", "No file named")
        return _resolve(state, f"{ns}/{name}", parts[0], "/".join(parts[1:]))

    @app.errorhandler(404)
    def not_found(_exc: Exception) -> Response:
        return hub_error(404, None, "Not Found")

    @app.errorhandler(405)
    def not_allowed(_exc: Exception) -> Response:
        return hub_error(405, None, "Method Not Allowed")


def _model_info(state: HubState, repo_id: str, revision: str) -> Response:
    found = _repo_and_snapshot(repo_id, revision)
    if isinstance(found, Response):
        return found
    repo, snap = found
    expand = _expand_list()
    if isinstance(expand, Response):
        return expand
    body = info_payload(
        repo, snap, state.registry, expand=expand, blobs=_flag("blobs"), security=_flag("securityStatus")
    )
    return _json(body)


def _parse_count(text: str) -> float:
    text = text.strip().lower()
    scale = _SUFFIX.get(text[-1:], 1.0)
    return float(text[:-1] if scale != 1.0 else text) * scale


def _num_parameters_filter(spec: str) -> tuple[float, float] | None:
    low, high = 0.0, float("inf")
    try:
        for part in spec.split(","):
            key, _, value = part.partition(":")
            if key.strip() == "min":
                low = _parse_count(value)
            elif key.strip() == "max":
                high = _parse_count(value)
            else:
                return None
    except ValueError:
        return None
    return low, high


def _matches(repo: Repo, token: str | None) -> bool:
    """Whether ``repo`` passes the list filters of the current request."""
    args = request.args
    meta = repo.meta
    if meta.private and not meta.allows(token):
        return False
    if args.get("author") and meta.author.lower() != args["author"].lower():
        return False
    if args.get("search") and args["search"].lower() not in repo.id.lower():
        return False
    gated = args.get("gated")
    if gated is not None and bool(meta.gated) != (gated.strip().lower() in _TRUE):
        return False
    needs_tags = args.getlist("filter") or args.get("pipeline_tag")
    if needs_tags:
        from web.hubserver.payloads import tags

        found = set(tags(repo, repo.main)) | {repo.id}
        if not set(args.getlist("filter")) <= found:
            return False
        pipeline = meta.pipeline_tag or (repo.main.card_data() or {}).get("pipeline_tag")
        if args.get("pipeline_tag") and pipeline != args["pipeline_tag"]:
            return False
    spec = args.get("num_parameters")
    if spec:
        bounds = _num_parameters_filter(spec)
        total = (repo.main.safetensors() or {}).get("total")
        if bounds is None or total is None or not bounds[0] <= total <= bounds[1]:
            return False
    return True


def _list_models(state: HubState) -> Response:
    args = request.args
    expand = _expand_list()
    if isinstance(expand, Response):
        return expand
    if expand and (_flag("full") or _flag("cardData") or _flag("config")):
        return hub_error(400, None, "expand cannot be combined with full, cardData or config")
    cursor = _cursor()
    if isinstance(cursor, Response):
        return cursor
    sort = args.get("sort")
    if sort is not None and sort not in _SORT_KEYS:
        return hub_error(400, None, f"Invalid sort {sort!r}")
    try:
        limit = int(args["limit"]) if args.get("limit") else None
    except ValueError:
        return hub_error(400, None, "limit must be an integer")
    token = _token()
    repos = [r for r in state.registry if _matches(r, token)]
    if sort:
        ascending = args.get("direction") == "1"
        repos.sort(key=_SORT_KEYS[sort], reverse=not ascending)
    size = max(1, min(state.config.page_size, limit or state.config.page_size))
    page = repos[cursor : cursor + size]
    if expand:
        fields: list[str] = expand
    else:
        fields = list(LIST_DEFAULT)
        if _flag("full"):
            fields += LIST_FULL
        if _flag("cardData"):
            fields.append("cardData")
        if _flag("config"):
            fields.append("config")
    body = [model_payload(r, r.main, state.registry, fields) for r in page]
    if expand:
        for item in body:
            item.pop("modelId", None)
    headers = {"Link": _next_link(cursor + size)} if cursor + size < len(repos) else {}
    return _json(body, headers=headers)


def _tree(state: HubState, repo_id: str, revision: str, folder: str) -> Response:
    found = _repo_and_snapshot(repo_id, revision)
    if isinstance(found, Response):
        return found
    _, snap = found
    cursor = _cursor()
    if isinstance(cursor, Response):
        return cursor
    expand = _flag("expand")
    paths = tree_paths(snap, folder, _flag("recursive"))
    if paths is None:
        return hub_error(404, "EntryNotFound", f"{folder} does not exist on {revision!r}", {"X-Repo-Commit": snap.sha})
    size = max(1, min(state.config.page_size, 50 if expand else 1000))
    body = [tree_entry(snap, p, expand=expand) for p in paths[cursor : cursor + size]]
    headers = {"Link": _next_link(cursor + size)} if cursor + size < len(paths) else {}
    return _json(body, headers=headers)


def _paths_info(repo_id: str, revision: str) -> Response:
    found = _repo_and_snapshot(repo_id, revision)
    if isinstance(found, Response):
        return found
    _, snap = found
    expand = request.form.get("expand", "").strip().lower() in _TRUE
    known = snap.directories()
    out = []
    for path in dict.fromkeys(p.strip("/") for p in request.form.getlist("paths")):
        if path in snap.files or path in known:
            out.append(tree_entry(snap, path, expand=expand))
    return _json(out)


def _safetensors_metadata(repo_id: str, filename: str) -> Response:
    repo = _repo_or_error(repo_id)
    if isinstance(repo, Response):
        return repo
    gate = _gate(repo)
    if gate is not None:
        return gate
    snap = repo.main
    if filename not in snap.files:
        return hub_error(404, "EntryNotFound", f"{filename} does not exist on 'main'", {"X-Repo-Commit": snap.sha})
    text = snap.text(filename)
    index = parse_json(text)
    if not isinstance(index, dict) or not isinstance(index.get("weight_map"), dict):
        return hub_error(400, None, f"{filename} is not a safetensors index")
    headers = snap.headers() if filename == INDEX_NAME else None
    if headers is None:
        return hub_error(400, None, f"the shards named in {filename} have unreadable headers")
    return _json({"index": {k: v for k, v in index.items() if k != "weight_map"}, "headers": headers})


# Files -------------------------------------------------------------------------------------


def _content_type(path: str) -> str:
    if path.endswith(".json"):
        return "application/json"
    if path.endswith((".md", ".txt", ".yaml", ".yml", ".gitattributes", ".py")):
        return "text/plain; charset=utf-8"
    return "application/octet-stream"


def _byte_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """(start, stop) for a single satisfiable range; None to send everything; "416" if unsatisfiable."""
    if not header or "," in header:
        return None  # absent or multipart: answering with the whole body is allowed
    match = _RANGE.match(header)
    if not match or (not match.group(1) and not match.group(2)):
        return None
    first, last = match.group(1), match.group(2)
    if not first:
        length = int(last)
        return "416" if length == 0 or size == 0 else (max(0, size - length), size)
    start = int(first)
    if start >= size:
        return "416"
    stop = size if not last else min(size, int(last) + 1)
    return None if stop <= start else (start, stop)


def _resolve(state: HubState, repo_id: str, revision: str, path: str) -> Response:
    repo = _repo_or_error(repo_id)
    if isinstance(repo, Response):
        return repo
    gate = _gate(repo)
    if gate is not None:
        return gate
    snap = _snapshot_or_error(repo, revision)
    if isinstance(snap, Response):
        return snap
    f = snap.files.get(path)
    if f is None:
        return hub_error(404, "EntryNotFound", f"{path} does not exist on {revision!r}", {"X-Repo-Commit": snap.sha})
    return _file_response(state, snap, f)


def _file_response(state: HubState, snap: Snapshot, f: RepoFile) -> Response:
    size = f.size
    headers = {
        "X-Repo-Commit": snap.sha,
        "ETag": f'"{f.etag}"',
        "Accept-Ranges": "bytes",
        "Content-Type": _content_type(f.path),
    }
    if f.lfs:
        headers["X-Linked-Etag"] = f'"{f.sha256}"'
        headers["X-Linked-Size"] = str(size)
    span = _byte_range(request.headers.get("Range"), size)
    if span == "416":
        headers["Content-Range"] = f"bytes */{size}"
        return hub_error(416, None, "Requested range not satisfiable", headers)
    status = 200
    start, stop = 0, size
    if isinstance(span, tuple):
        start, stop = span
        status = 206
        headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    if stop - start > state.config.max_body and request.method != "HEAD":
        headers["Content-Range"] = f"bytes */{size}"
        return hub_error(
            416,
            None,
            f"this local hub sends at most {state.config.max_body} bytes per response; ask for a Range",
            headers,
        )
    headers["Content-Length"] = str(stop - start)
    if request.method == "HEAD":
        # An iterator body keeps Werkzeug from replacing Content-Length with the (empty) body's length.
        return Response(iter(()), status=status, headers=headers, direct_passthrough=True)

    def body() -> Iterator[bytes]:
        yield from f.content.chunks(start, stop)

    return Response(body(), status=status, headers=headers, direct_passthrough=True)


# Controls ----------------------------------------------------------------------------------


def _register_controls(app: Flask, state: HubState) -> None:
    controls = state.controls

    @app.get("/_hub/log")
    def get_log() -> Response:
        return _json(controls.log())

    @app.delete("/_hub/log")
    def delete_log() -> Response:
        controls.clear_log()
        return _json({"cleared": True})

    @app.get("/_hub/faults")
    def get_faults() -> Response:
        return _json([f.to_dict() for f in controls.faults()])

    @app.post("/_hub/faults")
    def post_fault() -> Response:
        spec = request.get_json(silent=True)
        if not isinstance(spec, dict) or set(spec) - FAULT_KEYS:
            return hub_error(400, None, f"a fault is an object with keys from {sorted(FAULT_KEYS)}")
        try:
            fault = controls.add_fault(Fault(**spec))
        except (TypeError, ValueError, re.error) as exc:
            return hub_error(400, None, f"invalid fault: {exc}")
        return _json(fault.to_dict(), 201)

    @app.delete("/_hub/faults")
    def delete_faults() -> Response:
        controls.clear_faults()
        return _json({"cleared": True})

    @app.post("/_hub/config")
    def post_config() -> Response:
        spec = request.get_json(silent=True)
        if not isinstance(spec, dict) or set(spec) - {"page_size", "max_body"}:
            return hub_error(400, None, "config takes page_size and max_body")
        for key, value in spec.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                return hub_error(400, None, f"{key} must be a positive integer")
            setattr(controls.config, key, value)
        return _json({"page_size": controls.config.page_size, "max_body": controls.config.max_body})

    @app.post("/_hub/reset")
    def post_reset() -> Response:
        controls.reset()
        return _json({"reset": True})
