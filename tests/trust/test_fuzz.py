"""Schemathesis over the whole API: every operation, in process, with each kind of caller.

Every case schemathesis generates (the spec's examples, the deterministic coverage phase with
its boundary and invalid values, random positive and negative fuzzing) is sent by an admin, an
alliance coordinator, a partner system and an anonymous caller, and, when the path names a
resource, both as generated (ids that do not exist, malformed values) and pointing at the seeded
world (so the handlers get past "not found" and bodies meet real rows). Each request runs in a
savepoint that is rolled back, so every case starts from the same data. The checks: no 5xx,
every status code documented, every response's content type, headers and body as documented.

Budget: ``BUENDNIS_FUZZ_EXAMPLES`` random cases per operation (default 10; the coverage phase is
deterministic and always complete). ``BUENDNIS_FUZZ_SEED`` picks the random cases (default a
fixed seed, so the normal test command is repeatable; ``random`` for a new one each run).
docs/FUZZING.md has the nightly run.
"""

import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.case import Case
from schemathesis.generation.meta import TestPhase
from schemathesis.python.asgi import ASGIClient, get_client
from sqlalchemy import Connection

from app.main import app as application
from tests.trust.helpers import World

EXAMPLES = int(os.environ.get("BUENDNIS_FUZZ_EXAMPLES", "10"))
SEED = os.environ.get("BUENDNIS_FUZZ_SEED", "20241122")

# What "trustworthy" means here; positive_data_acceptance and negative_data_rejection are left
# out on purpose (see docs/FUZZING.md): rules beyond the schema legitimately refuse valid data.
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
CONFIG = schemathesis.Config.from_dict({
    "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
    "generation": {"mode": "all", "max-examples": EXAMPLES, "database": "none"},
    "phases": {"stateful": {"enabled": False}},
    **({} if SEED == "random" else {"seed": int(SEED)}),
})
schema = schemathesis.openapi.from_asgi("/openapi.json", application, config=CONFIG)

CALLERS = ("admin", "alliance_user", "partner", "anonymous")
# A caller whose first requests to an operation are all refused (401/403) is not sent again:
# the refusal is checked, and the budget goes to the callers the operation lets in.
PROBES = 3


@dataclass
class Admission:
    tries: Counter[str] = field(default_factory=Counter)
    admitted: set[str] = field(default_factory=set)

    def wanted(self, caller: str) -> bool:
        return caller in self.admitted or self.tries[caller] < PROBES

    def record(self, caller: str, status: int) -> None:
        self.tries[caller] += 1
        if status not in (401, 403):
            self.admitted.add(caller)


@pytest.fixture
def admission() -> Admission:
    """One per operation: hypothesis runs all of an operation's cases in one test call."""
    return Admission()


@pytest.fixture(scope="module")
def asgi_client() -> Iterator[ASGIClient]:
    """One in-process client for every case. Without it schemathesis builds a requests session
    (adapters, cookie jar) per request, and requests looks up proxy and netrc settings in the
    environment and the home directory on each: together a quarter of the fuzz run's own time.
    Cookies are dropped after every request (``rolled_back``), so no case sees another's."""
    with get_client(application) as client:
        client.trust_env = False
        yield client


@contextmanager
def rolled_back(connection: Connection, client: ASGIClient) -> Iterator[None]:
    """The request's writes are undone. The savepoint is also released: PostgreSQL keeps a
    lock per rolled-back-to subtransaction until it is, and thousands of cases would exhaust
    the lock table."""
    connection.exec_driver_sql("SAVEPOINT fuzz_case")
    try:
        yield
    finally:
        connection.exec_driver_sql("ROLLBACK TO SAVEPOINT fuzz_case")
        connection.exec_driver_sql("RELEASE SAVEPOINT fuzz_case")
        client.cookies.clear()


def at_seeded_rows(case: Case, world: World) -> Case:
    params = {name: world.params.get(name, value) for name, value in case.path_parameters.items()}
    return Case(
        operation=case.operation, method=case.method, path=case.path, path_parameters=params,
        headers=case.headers.copy(), cookies=case.cookies.copy(), query=case.query.copy(),
        body=case.body, media_type=case.media_type,
        multipart_content_types=case.multipart_content_types, meta=case.meta,
    )


def variants(case: Case, world: World) -> list[Case]:
    """The seeded variant first (it decides whether a caller is let in), then the case as
    generated. A path generated to be invalid stays as it is; a coverage case that varies the
    body or the query keeps only the seeded variant (its generated path is a fixed filler)."""
    meta = case.meta
    if not case.path_parameters or (meta is not None and meta.is_negative_at(ParameterLocation.PATH)):
        return [case]
    seeded = at_seeded_rows(case, world)
    if (meta is not None and meta.phase.name == TestPhase.COVERAGE
            and meta.phase.data.parameter_location != ParameterLocation.PATH):
        return [seeded]
    return [seeded, case]


# Function-scoped fixtures are shared by an operation's cases on purpose: the world is seeded
# once, and each request is rolled back.
@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
def test_api_keeps_its_contract(
    case: Case, app: object, world: World, connection: Connection, unthrottled: None,
    admission: Admission, asgi_client: ASGIClient,
) -> None:
    for variant in variants(case, world):
        for caller in CALLERS:
            if not admission.wanted(caller):
                continue
            with rolled_back(connection, asgi_client):
                response = variant.call_and_validate(
                    session=asgi_client, headers=world.headers[caller])
            admission.record(caller, response.status_code)
