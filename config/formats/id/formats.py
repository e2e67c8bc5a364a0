"""Dates and times as PLN staff write them: dd/mm/yyyy and 24-hour clock, in both
languages (Django's own English formats show "11:59 p.m." and "midnight" and refuse
31/10/2023). Anything not set here falls back to Django's formats of the language."""

DATE_FORMAT = "d/m/Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "d/m/Y H:i"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
FIRST_DAY_OF_WEEK = 1  # Monday

# The first of each list is how a text field shows a value; ISO stays accepted
# (a browser's <input type="date"> sends it, and so do scripts).
DATE_INPUT_FORMATS = [
    "%d/%m/%Y",  # 31/10/2023
    "%Y-%m-%d",  # 2023-10-31
    "%d-%m-%Y",  # 31-10-2023
    "%d/%m/%y",  # 31/10/23
]
TIME_INPUT_FORMATS = [
    "%H:%M:%S",  # 23:59:59
    "%H:%M",  # 23:59
    "%H.%M",  # 23.59, as Indonesian texts write it
    "%H:%M:%S.%f",
]
DATETIME_INPUT_FORMATS = [
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H.%M",
    "%d/%m/%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
]
