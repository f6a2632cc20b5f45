"""FAQ: answers on Projekt Zukunft, the Bündnisumfrage, the seal criteria and the events, in
German Markdown, edited by the Servicebüro and published to everyone."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, String, Text
from sqlmodel import Field, SQLModel

from app.core.columns import enum_column, now_column, optional_timestamp


class FaqCategory(StrEnum):
    """In the order the FAQ shows them."""

    future_project = "future_project"  # Projekt Zukunft
    survey = "survey"  # Bündnisumfrage
    seal_criteria = "seal_criteria"  # Siegelkriterien
    events = "events"  # Veranstaltungen
    general = "general"  # Allgemeines


class FaqEntry(SQLModel, table=True):
    __tablename__ = "faq_entry"

    id: int | None = Field(default=None, primary_key=True)
    category: FaqCategory = enum_column(length=30, index=True)
    # Place within the category, smallest first.
    position: int = 0
    question: str = Field(max_length=300)
    answer: str = Field(sa_column=Column(Text, nullable=False))
    # Question and answer folded (lower case, umlauts and ß spelled out, accents removed);
    # kept by the service on every write, never sent out. The search (app/faq/search.py) no
    # longer reads it: it weighs question and answer apart, analysed in Python.
    search_text: str = Field(sa_column=Column(Text, nullable=False))
    is_published: bool = Field(default=False, index=True)
    published_at: datetime | None = optional_timestamp()
    version: int = 1
    created_by: str = Field(sa_column=Column(String(40), nullable=False))
    created_at: datetime = now_column()
    updated_at: datetime = now_column()
