"""The adapter protocol side of the Pyrogram adapter: answers, errors, the hello fields. Kept
free of `pyrogram` imports so the hello is answered before the library is loaded."""
import importlib.metadata


class Unsupported(Exception):
    """The library cannot be driven to this request."""


class Rejected(Exception):
    """The library refused the request: `error` is the vocabulary name, `detail` its words."""

    def __init__(self, error, detail=""):
        super().__init__(error)
        self.error = error
        self.detail = detail


def distribution():
    """(name, version) of the installed fork that provides the `pyrogram` package."""
    for name in ("kurigram", "pyrofork"):
        try:
            return name, importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "pyrogram", importlib.metadata.version("pyrogram")


class Hang(Exception):
    """The library call did not return within its budget: answered `internal` (an `error` case,
    as the harness records a hang), without a traceback."""
