"""The German invitation e-mail to a workgroup: a pure function, no database. It repeats only
what the Servicebüro wrote (title, topic, region, cycle)."""

from app.events.texts import SENDER_NAME


def invitation_subject(title: str) -> str:
    return f"Einladung in die Arbeitsrunde „{title}“"


def invitation_body(title: str, topic: str, cycle_key: str, region: str | None,
                    link: str) -> str:
    where = f" ({region})" if region else ""
    return f"""Guten Tag,

im Rahmen von Projekt Zukunft laden wir Ihr Bündnis in die Arbeitsrunde „{title}“{where} zum \
Zukunftsthema „{topic}“ (Zyklus {cycle_key}) ein. Die Einladung gilt, weil Ihr Bündnis die \
Siegelkriterien erfüllt und Interesse an Projekt Zukunft bekundet hat oder im Vorjahr das \
Siegel erhalten hat.

In der Arbeitsrunde tauschen sich Bündnisse in virtuellen Erfahrungsaustauschen und regionalen \
Zukunftswerkstätten aus und erarbeiten gemeinsame Ergebnisse.

Um teilzunehmen, nehmen Sie die Einladung im Bündnisportal unter „Arbeitsrunden“ an. Dort \
legen Sie auch fest, welche Kontaktperson die anderen Bündnisse der Arbeitsrunde sehen:
{link}

Mit freundlichen Grüßen
Ihr {SENDER_NAME}
"""
