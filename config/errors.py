class ConfigError(Exception):
    """A configuration problem, worded for the operator: it names the file and the key."""

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None) -> None:
        self.file = file
        self.key = key
        where = ""
        if file and key:
            where = f"{file}: [{key}] "
        elif file:
            where = f"{file}: "
        elif key:
            where = f"[{key}] "
        super().__init__(f"{where}{message}")
