"""The adapter protocol side: answers and errors, free of library imports."""


class Unsupported(Exception):
    """The library cannot be driven to this request."""


class Rejected(Exception):
    """The library refused the request: `error` is the vocabulary name, `detail` its words."""

    def __init__(self, error, detail=""):
        super().__init__(error)
        self.error = error
        self.detail = detail
