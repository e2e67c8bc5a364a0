"""What an upload's validation reports: plain data, no ORM."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RowError:
    """One problem in an uploaded file, located so a person can fix it."""

    location: str  # "line 12", "row 7", "object 3"
    column: str  # the field or column, "" when it concerns the whole row
    message: str

    def __str__(self) -> str:
        where = f"{self.location}, column {self.column}" if self.column else self.location
        return f"{where}: {self.message}"


class UploadInvalid(Exception):
    """A file that is rejected as a whole; ``errors`` says every problem found."""

    def __init__(self, errors: list[RowError], *, unlisted: int = 0):
        self.errors = errors
        self.unlisted = unlisted  # problems found beyond those listed
        super().__init__("; ".join(str(e) for e in errors[:5]))

    @property
    def total(self) -> int:
        return len(self.errors) + self.unlisted
