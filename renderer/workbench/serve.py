"""`make-issue serve`: the live preview, a small ASGI app (Starlette on uvicorn).

    GET /                      the preview page (styles/serve/index.html)
    GET /state                 the preview's state as JSON (renderer.workbench.preview)
    GET /events                server-sent events (WHATWG HTML, 9.2): one `state` event
                               per new version, so the page updates itself on every save
    GET /page/<hash>.png       one page image, immutable (a changed page has a new hash)
    GET /pdf/<edition>         the current PDF of an edition, to download

Bound to 127.0.0.1 unless told otherwise: the preview shows unpublished content. A watch
thread rebuilds on every change under the issue folder and styles/; Ctrl-C stops both.
"""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

from renderer.assets import FONTS, STYLES

DEBOUNCE_MS = 50
KEEPALIVE_SECONDS = 15.0


def make_app(preview):
    from starlette.applications import Starlette
    from starlette.responses import (
        FileResponse,
        HTMLResponse,
        JSONResponse,
        Response,
        StreamingResponse,
    )
    from starlette.routing import Route

    page_html = (STYLES / "serve" / "index.html").read_text(encoding="utf-8")

    async def index(request):
        return HTMLResponse(page_html)

    async def state(request):
        return JSONResponse(preview.state())

    async def events(request):
        async def stream():
            seen = -1
            while not preview.closing and not await request.is_disconnected():
                if preview.version != seen:
                    seen = preview.version
                    yield f"event: state\ndata: {json.dumps(preview.state())}\n\n"
                    continue
                version = await asyncio.to_thread(preview.wait, seen, KEEPALIVE_SECONDS)
                if version == seen:
                    yield ": keep-alive\n\n"
        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})

    async def page(request):
        png = preview.images.get(request.path_params["digest"])
        if png is None:
            return Response(status_code=404)
        return Response(png, media_type="image/png",
                        headers={"Cache-Control": "public, max-age=31536000, immutable"})

    async def pdf(request):
        view = preview.views.get(request.path_params["edition"])
        if view is None or view.pdf is None or not view.pdf.is_file():
            return Response("not built yet", status_code=404)
        return FileResponse(view.pdf, media_type="application/pdf", filename=view.pdf.name)

    return Starlette(routes=[
        Route("/", index), Route("/state", state), Route("/events", events),
        Route("/page/{digest:str}.png", page), Route("/pdf/{edition:str}", pdf),
    ])


def serve(folder: Path, out_root: Path, *, host: str = "127.0.0.1", port: int = 8000,
          first: str = "email", report=print) -> None:
    import uvicorn

    from renderer.workbench.preview import Preview

    preview = Preview(folder, out_root, first=first)
    stop = threading.Event()
    config = uvicorn.Config(make_app(preview), host=host, port=port, log_level="warning",
                            lifespan="off", timeout_graceful_shutdown=2)

    class Server(uvicorn.Server):
        def handle_exit(self, sig, frame) -> None:
            preview.close()  # event streams end, so the shutdown does not wait for them
            super().handle_exit(sig, frame)

    server = Server(config)
    watcher = threading.Thread(target=_watch, args=(preview, stop, report), daemon=True)
    watcher.start()
    report(f"preview of {folder} at http://{host}:{port}/ (Ctrl-C to stop)")
    try:
        server.run()
    finally:
        stop.set()
        preview.close()


def _watch(preview, stop: threading.Event, report) -> None:
    """Build once, then again on every change; say what changed and what was rebuilt.

    The watch starts before the first build, so a save made while it runs is not lost:
    the first (empty) round, after a short quiet spell, is the first build."""
    from watchfiles import watch

    from renderer.watch import changed_names
    from renderer.workbench.preview import describe

    first = True
    for changes in watch(preview.folder, STYLES, FONTS, debounce=DEBOUNCE_MS, step=20,
                         stop_event=stop, raise_interrupt=False, yield_on_timeout=True,
                         rust_timeout=200):
        if first or changes:
            names = changed_names(changes, preview.folder)
            preview.rebuild(names)
            report(describe(preview, names))
            first = False
