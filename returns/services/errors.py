class ReturnRefused(Exception):
    """A return action refused as asked. `errors` maps an order line id (or None) to messages for the customer."""

    def __init__(self, errors: dict[int | None, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(message for messages in errors.values() for message in messages))


class ReturnStateConflict(ReturnRefused):
    """Refused because of the state the return is in (the API's 409), not because of what was asked."""
