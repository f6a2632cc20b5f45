"""Demo workgroups (seed step ``seed_workgroups``): one Arbeitsrunde per Zukunftsthema of
Projekt Zukunft "2023/24", each with members and one published result.

Coherent with the rest of the demo (tests/cycles/test_demo_coherence.py): Projekt Zukunft
follows a cycle's evaluation, and the open cycle "2024/25" has none yet (its survey is open),
so the Arbeitsrunden that already work and publish belong to the previous cycle, "2023/24",
long after its survey and ceremony. Their members: the 2023/24 seal alliances
(app/awards/demo.py), who took part in Projekt Zukunft that year before the portal recorded
evaluation runs, and the three alliances with a demo login (so a demo coordinator sees members
and drafts); with no run on record, the Servicebüro admitted all of them by hand with a reason
(basis ``manual``). Workgroups were set up four months ago, members joined ten days later, each
result was published three weeks ago. Idempotent: a workgroup is recognised by its title;
without the cycle nothing is seeded, and missing alliances are skipped. No e-mail is queued.
"""

from datetime import timedelta
from typing import Protocol

from sqlmodel import Session, col, select

from app.alliances.models import Alliance
from app.awards.demo import DEMO_SEAL_ALLIANCES
from app.core.db import utcnow
from app.cycles.models import AwardCycle
from app.events.demo import LOGIN_SLUGS
from app.events.models import FutureTopic
from app.workgroups.models import (
    MemberBasis,
    MemberStatus,
    ResultStatus,
    Workgroup,
    WorkgroupMember,
    WorkgroupResult,
    WorkgroupResultAuthor,
    WorkgroupStatus,
)

CYCLE_KEY = "2023/24"
DEMO_ACTOR = "system:seed-demo"
REASON = "Demo: Bündnis mit Zugang zum Bündnisportal, vom Servicebüro aufgenommen."
SEAL_REASON = ("Siegelbündnis 2023/24, im Projekt Zukunft 2023/24 dabei (vor dem Bündnisportal "
               "eingeladen).")


class Report(Protocol):
    def count(self, what: str, n: int = 1) -> None: ...


# topic number: (title, region, result title, result summary)
DEMO_WORKGROUPS: dict[int, tuple[str, str | None, str, str]] = {
    1: ("Arbeitsrunde Vereinbarkeit von Familie, Pflege und Beruf", "Metropolregion Nürnberg",
        "Pflegefreundliche Arbeitgeber vor Ort gewinnen",
        "Wie Bündnisse Betriebe für Beschäftigte mit pflegebedürftigen Angehörigen gewinnen."),
    2: ("Arbeitsrunde Kinderbetreuung", "Hamm und Westfalen",
        "Randzeitenbetreuung gemeinsam organisieren",
        "Gute Beispiele aus Kitas, Tagespflege und Betrieben für Betreuung am frühen Morgen "
        "und am Abend."),
    3: ("Arbeitsrunde Familien mit geringen Einkommen", None,
        "Leistungen bekannt machen: der Familienwegweiser",
        "Ein Baukasten für lokale Wegweiser zu Bildungs- und Teilhabeleistungen."),
    4: ("Arbeitsrunde familienbewusste Unternehmenspolitik", None,
        "Familienfreundlichkeit im Mittelstand sichtbar machen",
        "Formate, mit denen Bündnisse kleine und mittlere Unternehmen auszeichnen und "
        "vernetzen."),
}


def seed_workgroups(session: Session, report: Report) -> None:
    cycle = session.exec(select(AwardCycle).where(AwardCycle.key == CYCLE_KEY)).first()
    if cycle is None or cycle.id is None:
        return
    titles = [entry[0] for entry in DEMO_WORKGROUPS.values()]
    present = set(session.exec(select(Workgroup.title).where(col(Workgroup.title).in_(titles))))
    topics = {t.number: t.id for t in session.exec(select(FutureTopic)) if t.id is not None}
    slugs = (*DEMO_SEAL_ALLIANCES, *LOGIN_SLUGS)
    alliances = {slug: a_id for slug, a_id in session.exec(
        select(Alliance.slug, Alliance.id).where(col(Alliance.slug).in_(slugs))) if a_id}
    now = utcnow()
    created = now - timedelta(days=120)
    joined, published = created + timedelta(days=10), now - timedelta(days=21)
    for number, (title, region, result_title, summary) in DEMO_WORKGROUPS.items():
        if title in present or number not in topics:
            continue
        workgroup = Workgroup(cycle_id=cycle.id, topic_id=topics[number], title=title,
                              region=region, status=WorkgroupStatus.active,
                              description=f"{title} im Projekt Zukunft: Austausch, "
                              "Zukunftswerkstätten und gemeinsame Ergebnisse.",
                              created_at=created, updated_at=created)
        session.add(workgroup)
        session.flush()
        assert workgroup.id is not None
        members = []
        for slug in slugs:
            if slug not in alliances:
                continue
            seal = slug in DEMO_SEAL_ALLIANCES
            session.add(WorkgroupMember(
                workgroup_id=workgroup.id, alliance_id=alliances[slug],
                status=MemberStatus.active, basis=MemberBasis.manual,
                reason=SEAL_REASON if seal else REASON,
                decided_at=joined, decided_by=DEMO_ACTOR, joined_at=joined,
                created_at=joined, updated_at=joined))
            members.append(alliances[slug])
            report.count("workgroup_members")
        result = WorkgroupResult(
            workgroup_id=workgroup.id, title=result_title, summary=summary,
            body=f"## {result_title}\n\n{summary}\n\n- Ausgangslage\n- Schritte\n- Ansprechpartner",
            links=[], status=ResultStatus.published, published_at=published,
            created_by=DEMO_ACTOR, created_at=published - timedelta(days=7), updated_at=published)
        session.add(result)
        session.flush()
        assert result.id is not None
        for alliance_id in members[:2]:
            session.add(WorkgroupResultAuthor(result_id=result.id, alliance_id=alliance_id))
        report.count("workgroups")
        report.count("workgroup_results")
    session.flush()
