"""Row ids as the API accepts them: positive 32-bit integers, like the serial columns behind them.

A larger number names no row, and passing it on would only make the driver fail (SQLite cannot
bind integers beyond 64 bits, PostgreSQL refuses them for integer columns): it is refused as
invalid input (422) with the field named, and the bounds are in the OpenAPI spec.
"""

from typing import Annotated

from pydantic import Field

MAX_ROW_ID = 2**31 - 1

RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]


def is_row_id(value: int) -> bool:
    return 0 < value <= MAX_ROW_ID
