"""Workbooks built in memory, for upload tests."""

import io
from typing import Any

from openpyxl import Workbook


def xlsx(rows: list[list[Any]]) -> bytes:
    """An .xlsx file whose first sheet holds ``rows`` (the first one is the header)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
