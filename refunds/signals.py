"""Events other apps react to (follow-up messages, webhooks). Sent inside the transaction of
the change, so a receiver's writes commit or roll back with it."""

from django.dispatch import Signal

# kwargs: refund, from_state, to_state, by (a user or None)
refund_state_changed = Signal()
