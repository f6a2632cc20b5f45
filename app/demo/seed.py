"""``buendnis seed-demo``: idempotent demo data for the whole yearly cycle.

Each domain adds a ``seed_*`` step here; running it twice changes nothing the second time.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, select

from app.alliances.demo import DEMO_ALLIANCES
from app.alliances.models import Alliance, AllianceContact, AlliancePartner
from app.alliances.schemas import slugify
from app.alliances.states import validate_ags
from app.auth.models import Role, User
from app.awards.demo import seed_awards
from app.core import security
from app.cycles.demo import seed_cycles
from app.evaluation.demo import seed_criteria
from app.events.demo import seed_events
from app.faq.demo import seed_faq
from app.inquiries.demo import seed_inquiries
from app.notices.demo import seed_notices
from app.questionnaire.demo import seed_questionnaires
from app.surveys.demo import seed_responses
from app.workgroups.demo import seed_workgroups

# The documented demo login; seed-demo refuses to run in production.
DEMO_PASSWORD = "Familie-Demo-2024!"
DEMO_ADMIN_EMAIL = "servicebuero@demo.lokale-buendnisse.de"


@dataclass
class SeedReport:
    logins: list[tuple[str, str, str]] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)

    def count(self, what: str, n: int = 1) -> None:
        self.created[what] = self.created.get(what, 0) + n


def _seed_alliances(session: Session, report: SeedReport) -> None:
    for entry in DEMO_ALLIANCES:
        slug = slugify(entry["name"])
        if session.exec(select(Alliance.id).where(Alliance.slug == slug)).first() is not None:
            continue
        fields = {k: v for k, v in entry.items() if k not in ("partners", "listed_in_finder")}
        alliance = Alliance(
            **{**fields, "founded_on": date.fromisoformat(fields["founded_on"])},
            slug=slug, state=validate_ags(entry["ags"]),
            listed_in_finder=entry.get("listed_in_finder", True),
            website=f"https://www.{slug}.example.org",
            description=f"{entry['name']}: Netzwerk aus Kommune, Wirtschaft und Zivilgesellschaft "
            "für mehr Familienfreundlichkeit vor Ort.",
        )
        alliance.partners = [AlliancePartner(name=n, sector=s) for n, s in entry["partners"]]
        town = entry.get("municipality") or entry["district"]
        alliance.contacts = [AllianceContact(
            name=f"Koordination {town}", function="Bündniskoordination",
            email=f"koordination@{slug}.example.org", phone="+49 30 1234567",
        )]
        session.add(alliance)
        report.count("alliances")
    session.flush()


def _seed_users(session: Session, report: SeedReport) -> None:
    password_hash = security.hash_password(DEMO_PASSWORD)
    wanted: list[tuple[str, str, Role, str | None]] = [
        (DEMO_ADMIN_EMAIL, "Servicebüro Demo", Role.admin, None),
    ]
    for entry in DEMO_ALLIANCES[:3]:
        slug = slugify(entry["name"])
        wanted.append((f"koordination@{slug}.example.org", f"Koordination {entry['municipality']}",
                       Role.alliance_user, slug))
    for email, name, role, alliance_slug in wanted:
        alliance_id = None
        if alliance_slug:
            alliance_id = session.exec(
                select(Alliance.id).where(Alliance.slug == alliance_slug)
            ).one()
        if session.exec(select(User.id).where(User.email == email)).first() is None:
            session.add(User(email=email, full_name=name, role=role, alliance_id=alliance_id,
                             password_hash=password_hash))
            report.count("users")
        report.logins.append((role.value, email, DEMO_PASSWORD))
    session.flush()


SEED_STEPS: list[Callable[[Session, SeedReport], None]] = [_seed_alliances, _seed_users,
                                                          seed_cycles, seed_questionnaires,
                                                          seed_notices, seed_responses]

# Evaluation and awards come last: they build on cycles, questionnaires and responses.
SEED_STEPS.extend([seed_criteria, seed_awards])
# Inquiries refer to the alliances, logins, cycles and notices seeded before them.
SEED_STEPS.append(seed_inquiries)
# Events invite the demo seal alliances and logins seeded before them.
SEED_STEPS.append(seed_events)
# The FAQ stands on its own.
SEED_STEPS.append(seed_faq)
# Workgroups take the 2023/24 seal alliances and the demo logins as members.
SEED_STEPS.append(seed_workgroups)


def seed_demo(session: Session) -> SeedReport:
    report = SeedReport()
    for step in SEED_STEPS:
        step(session, report)
    session.commit()
    return report
