"""English pages for PLN staff: the same dd/mm/yyyy and 24-hour clock as Indonesian
(see config/formats/id/formats.py), only the words differ."""

from config.formats.id.formats import (  # noqa: F401
    DATE_FORMAT,
    DATE_INPUT_FORMATS,
    DATETIME_FORMAT,
    DATETIME_INPUT_FORMATS,
    FIRST_DAY_OF_WEEK,
    SHORT_DATE_FORMAT,
    SHORT_DATETIME_FORMAT,
    TIME_FORMAT,
    TIME_INPUT_FORMATS,
)

YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
