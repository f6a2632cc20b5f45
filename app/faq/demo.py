"""Demo FAQ (seed step ``seed_faq``): the questions the Servicebüro's page on the seal
„Ausgezeichnetes Bündnis 2024/25“ raises, answered from that page
(shared/domain/seed-siegel-2024.txt): who takes part in the survey, what the seal criteria
are, what Projekt Zukunft is, who is invited to the workshops, and what to do without a survey
notice (the inquiry form). One entry is still a draft.

Idempotent: an entry is recognised by its question.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlmodel import Session, col, select

from app.core.db import utcnow
from app.faq.models import FaqCategory, FaqEntry
from app.faq.search import fold

DEMO_ACTOR = "system:seed-demo"
NO_NOTICE_QUESTION = ("Unser Bündnis hat keine Nachricht zur Bündnisumfrage erhalten. "
                      "Was können wir tun?")


class Report(Protocol):
    def count(self, what: str, n: int = 1) -> None: ...


@dataclass(frozen=True)
class _Demo:
    category: FaqCategory
    position: int
    question: str
    answer: str
    published: bool = True


DEMO_FAQ: list[_Demo] = [
    _Demo(FaqCategory.future_project, 10, "Was ist das „Projekt Zukunft“?",
          "Damit die Bundesinitiative „Lokale Bündnisse für Familie“ trotz gesellschaftlichem "
          "Wandel zukunftsfähig bleibt, hat das Bundesfamilienministerium 2023 das "
          "**„Projekt Zukunft“** ins Leben gerufen.\n\n"
          "Das Servicebüro hat gemeinsam mit aktiven Bündnissen Zukunftsthemen für die "
          "Bundesinitiative gesammelt, und gemeinsam wurde eine neue Bündnismission entwickelt."),
    _Demo(FaqCategory.future_project, 20, "Muss unser Bündnis beim „Projekt Zukunft“ mitmachen?",
          "Nein, die Teilnahme ist **freiwillig**. Auch Bündnisse, die nicht mitmachen, "
          "profitieren von den Arbeitsergebnissen und den entwickelten Ideen.\n\n"
          "Unabhängig vom „Projekt Zukunft“ unterstützt das Servicebüro alle Lokalen Bündnisse "
          "bei ihrer Arbeit vor Ort wie gewohnt."),
    _Demo(FaqCategory.future_project, 30, "Welches sind die Zukunftsthemen?",
          "Die 2023 ermittelten Zukunftsthemen sind:\n\n"
          "1. Vereinbarkeit von Familie, Pflege und Beruf\n"
          "2. Kinderbetreuung\n"
          "3. Familien mit geringen Einkommen\n"
          "4. familienbewusste Unternehmenspolitik"),
    _Demo(FaqCategory.survey, 10, "Wer kann an der Bündnisumfrage teilnehmen?",
          "Teilnehmen können **alle Lokalen Bündnisse, die bisher noch kein Siegel erhalten "
          "haben**. Das Servicebüro ermittelt mit der Umfrage den Aktivitätsgrad der Bündnisse."),
    _Demo(FaqCategory.survey, 20, "Was können wir in der Bündnisumfrage angeben?",
          "Neben den Fragen zu Ihrer Bündnisarbeit können Sie in der Umfrage Ihr Interesse an "
          "der Mitwirkung am **„Projekt Zukunft“** und am **Siegel „Ausgezeichnetes Bündnis "
          "2024/25“** bekunden."),
    _Demo(FaqCategory.survey, 30, NO_NOTICE_QUESTION,
          "Wenn Ihr Bündnis bisher noch kein Siegel erhalten und dieses Jahr noch keine "
          "Nachricht über die Bündnisumfrage vom Servicebüro bekommen hat, schicken Sie uns "
          "bitte eine **Anfrage an das Servicebüro** (Anliegen „Keine Nachricht zur Umfrage "
          "erhalten“). Das geht auch ohne Anmeldung. Das Servicebüro sieht dann, ob eine "
          "Nachricht an Ihr Bündnis verschickt wurde, und schickt sie erneut.\n\n"
          "Sie erreichen das Servicebüro auch per E-Mail unter "
          "info@lokale-buendnisse-fuer-familie.de."),
    _Demo(FaqCategory.seal_criteria, 10, "Was sind die Siegelkriterien?",
          "Ein Siegelbündnis zeichnet sich aus durch:\n\n"
          "- gute Vernetzung mit der Bundesinitiative und mit regionalen Akteuren,\n"
          "- gute Sichtbarkeit,\n"
          "- kontinuierliche, greifbare Angebote für Familien,\n"
          "- aktive, zukunftsorientierte Bündnisarbeit.\n\n"
          "Die Kriterien werden anhand Ihrer Antworten in der Bündnisumfrage geprüft."),
    _Demo(FaqCategory.seal_criteria, 20, "Wie erfahren wir, ob unser Bündnis die Kriterien erfüllt?",
          "Nach Abschluss der Umfrage wertet das Servicebüro die Antworten aus: Aus den "
          "Antworten wird der Aktivitätsgrad berechnet und jedes Kriterium einzeln geprüft. "
          "Im Portal sehen Sie das Ergebnis Ihres Bündnisses mit der Begründung je Kriterium."),
    _Demo(FaqCategory.seal_criteria, 30, "Warum lohnt es sich, ein Siegelbündnis zu werden?",
          "Höhepunkt ist die feierliche Verleihung des Siegels durch die Bundesfamilienministerin "
          "in Berlin. Siegelbündnisse profitieren von exklusiven Möglichkeiten zum "
          "Erfahrungsaustausch und einer hohen Sichtbarkeit – bundesweit und in ihrer Region. "
          "Das Siegel stärkt den Markenkern und die Zugehörigkeit zur Bundesinitiative, und die "
          "Bündnisse können selbst mehr Einfluss auf deren weitere Entwicklung nehmen.\n\n"
          "2023 wurden 56 Siegelbündnisse ausgezeichnet."),
    _Demo(FaqCategory.events, 10,
          "Wer wird zu den Erfahrungsaustauschen und Zukunftswerkstätten eingeladen?",
          "Bündnisse, die die Siegelkriterien der Umfrage erfüllen **und** am „Projekt "
          "Zukunft“ teilnehmen wollen, werden zu (virtuellen) Erfahrungsaustauschen und zu "
          "regionalen Zukunftswerkstätten eingeladen, 2024 in die Metropolregion Nürnberg und "
          "nach Hamm. Auch die Siegelbündnisse aus dem letzten Jahr können sich wieder "
          "beteiligen."),
    _Demo(FaqCategory.events, 20, "Wann und wo ist die Siegelverleihung?",
          "Das Siegel „Ausgezeichnetes Bündnis 2024/25“ wird am **22. November 2024 in Berlin** "
          "durch Bundesfamilienministerin Lisa Paus verliehen."),
    _Demo(FaqCategory.events, 30, "Wie kommen die Termine in unseren Kalender?",
          "Jede Veranstaltung lässt sich als Kalenderdatei (.ics) herunterladen. Für alle "
          "Termine Ihres Bündnisses können Sie im Portal eine persönliche Kalender-Adresse "
          "anlegen und in Ihrem Kalenderprogramm abonnieren; Absagen erscheinen dort "
          "automatisch.", published=False),
    _Demo(FaqCategory.general, 10, "Wie erreichen wir das Servicebüro?",
          "Über eine **Anfrage an das Servicebüro** im Portal (auch ohne Anmeldung) oder per "
          "E-Mail an info@lokale-buendnisse-fuer-familie.de."),
]


def seed_faq(session: Session, report: Report) -> None:
    questions = [d.question for d in DEMO_FAQ]
    present = set(session.exec(select(FaqEntry.question).where(
        col(FaqEntry.question).in_(questions))).all())
    published_at = utcnow() - timedelta(days=30)
    for demo in DEMO_FAQ:
        if demo.question in present:
            continue
        session.add(FaqEntry(
            category=demo.category, position=demo.position, question=demo.question,
            answer=demo.answer, search_text=fold(f"{demo.question}\n{demo.answer}"),
            is_published=demo.published, published_at=published_at if demo.published else None,
            created_by=DEMO_ACTOR, created_at=published_at, updated_at=published_at,
        ))
        report.count("faq_entries")
    session.flush()
