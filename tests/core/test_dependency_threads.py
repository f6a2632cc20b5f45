"""No dependency costs a worker-thread hop (issue 12): FastAPI runs a plain ``def`` dependency
in its thread pool, a hop per request for work that sets a flag or builds a small object
(``no_store`` and ``page_params`` were such hops on every alliance read). Database work goes
through ``Db.run``; every dependency is ``async def``. A new plain-def dependency fails here."""

import inspect
from collections.abc import Iterator
from typing import Any

from fastapi.routing import APIRoute

from app.main import app as application
from tests.utils.routes import walk_routes


def _calls(dependant: Any) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def _runs_in_a_thread(call: Any) -> bool:
    target = call if inspect.isroutine(call) else getattr(call, "__call__", call)  # noqa: B004
    return not (inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target))


def _name(call: Any) -> str:
    return f"{getattr(call, '__module__', '?')}.{getattr(call, '__qualname__', type(call).__name__)}"


def test_every_dependency_runs_on_the_event_loop() -> None:
    threaded = set()
    for context in walk_routes(application.routes):
        route = getattr(context, "original_route", context)
        if isinstance(route, APIRoute):
            threaded |= {_name(call) for call in _calls(route.dependant) if _runs_in_a_thread(call)}
    assert not threaded, f"plain-def dependencies (a thread hop per request): {sorted(threaded)}"
