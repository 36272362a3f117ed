"""Errors shared by every layer.

A `UnilinkError` always says which field was wrong, the value that was given and what would be
accepted, so that the CLI, the API and the portal can show it as it is. Each kind carries the exit
code the CLI ends with and the HTTP status the API and the portal answer with.
"""

from __future__ import annotations

from collections.abc import Iterable


class UnilinkError(Exception):
    """Base of every error unilink raises on purpose (never a bug)."""

    exit_code = 1
    http_status = 400

    def __init__(self, message: str, *, field: str | None = None, value: object = None,
                 accepted: str | None = None) -> None:
        self.message = message
        self.field = field
        self.value = value
        self.accepted = accepted
        super().__init__(self.__str__())

    def __str__(self) -> str:
        parts = [self.message]
        if self.field is not None:
            parts.insert(0, f"{self.field}:")
        if self.accepted:
            parts.append(f"(accepted: {self.accepted})")
        return " ".join(parts)

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"error": self.message}
        if self.field is not None:
            data["field"] = self.field
        if self.value is not None:
            data["value"] = self.value if isinstance(self.value, int | float | str) else str(self.value)
        if self.accepted:
            data["accepted"] = self.accepted
        return data


class ValidationError(UnilinkError):
    """Bad input: wrong type, unit, range or reference. Nothing was changed."""

    exit_code = 2
    http_status = 422


class ParseError(ValidationError):
    """A file could not be read: names the file and the line."""

    def __init__(self, message: str, *, path: str, line: int | None = None, **kwargs: object) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}", **kwargs)  # type: ignore[arg-type]


class NotFoundError(UnilinkError):
    """A named object does not exist (or belongs to another tenant: we never say which)."""

    exit_code = 2
    http_status = 404


class InfeasibleError(UnilinkError):
    """The network cannot carry what was asked; `details` names the bottleneck."""

    exit_code = 3
    http_status = 422

    def __init__(self, message: str, *, details: dict[str, object] | None = None) -> None:
        self.details = details or {}
        super().__init__(message)

    def to_dict(self) -> dict[str, object]:
        return {"error": self.message, **self.details}


class ConflictError(UnilinkError):
    """The state changed under a request (a stale plan, a concurrent change)."""

    exit_code = 4
    http_status = 409


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """" (did you mean 'rate'?)" when `value` is close to one of `choices` (a typo), else "" — for the
    end of a refusal's message."""
    import difflib

    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def yaml_reason(exc: BaseException) -> str:
    """The YAML parser's own reason and line ("line 3: mapping values are not allowed here")."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return f"{where}{problem}"
