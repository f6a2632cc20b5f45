"""What one FastAPI dependency costs per request, on this machine and this FastAPI.

    .venv/bin/python bench/dependency_cost.py [--requests 5000] [--repeat 5]

A bare FastAPI app (none of ours) with one route per shape: no dependency, the request only,
one plain ``async def`` dependency, one that takes the request, one nested under another, and
the ``OAuth2`` security dependency that ``api_request_checks`` used to take its bearer token
from. Each route is driven through the ASGI callable in process, one request at a time; it
prints the best CPU µs per request of ``--repeat`` runs and the difference to the route
without a dependency. The numbers explain app/auth/deps.py's shape (docs/PERFORMANCE.md,
"Fewer dependencies per request").
"""

# No ``from __future__ import annotations``: the routes' dependencies are local names, which
# FastAPI could not resolve from the annotations' text.
import argparse
import asyncio
import time
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.security import OAuth2PasswordBearer


def build_app() -> FastAPI:
    app = FastAPI()
    bearer = OAuth2PasswordBearer(tokenUrl="/token", auto_error=False)

    async def plain() -> int:
        return 1

    async def with_request(request: Request) -> int:
        return 1

    async def nested(value: Annotated[int, Depends(with_request)]) -> int:
        return value

    @app.get("/none")
    async def no_dependency() -> dict[str, int]:
        return {}

    @app.get("/request")
    async def request_only(request: Request) -> dict[str, int]:
        return {}

    @app.get("/plain")
    async def one_plain(value: Annotated[int, Depends(plain)]) -> dict[str, int]:
        return {}

    @app.get("/with-request")
    async def one_with_request(value: Annotated[int, Depends(with_request)]) -> dict[str, int]:
        return {}

    @app.get("/nested")
    async def one_nested(value: Annotated[int, Depends(nested)]) -> dict[str, int]:
        return {}

    @app.get("/oauth2")
    async def security(token: Annotated[str | None, Depends(bearer)]) -> dict[str, int]:
        return {}

    return app


async def request(app: Any, path: str) -> None:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": [(b"host", b"bench"), (b"authorization", b"Bearer abc")],
             "client": ("127.0.0.1", 5000), "server": ("bench", 80), "root_path": "",
             "state": {}}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start" and message["status"] != 200:
            raise SystemExit(f"{path} answered {message['status']}")

    await app(scope, receive, send)


async def measure(requests: int, repeat: int) -> None:
    app = build_app()
    paths = ["/none", "/request", "/plain", "/with-request", "/nested", "/oauth2"]
    best: dict[str, float] = {}
    for path in paths:
        for _ in range(500):
            await request(app, path)
        runs = []
        for _ in range(repeat):
            started = time.process_time()
            for _ in range(requests):
                await request(app, path)
            runs.append((time.process_time() - started) / requests * 1e6)
        best[path] = min(runs)
    print(f"{'route':14} {'µs/request':>10} {'over /none':>10}")
    for path in paths:
        print(f"{path:14} {best[path]:10.1f} {best[path] - best['/none']:10.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(measure(args.requests, args.repeat))


if __name__ == "__main__":
    main()
