"""Events other apps react to. Sent inside the transaction of the change, so a receiver's
writes (an outbox row, say) commit or roll back together with it."""

from django.dispatch import Signal

# kwargs: return_request
return_created = Signal()
# kwargs: return_request, from_state, to_state, by (a user or None)
return_state_changed = Signal()
# kwargs: return_request. The carrier booked the parcel or the pickup (sent in the transaction that records it).
return_carrier_booked = Signal()
# kwargs: return_request. The carrier refused the customer's address (`return_address_fixable`).
return_carrier_refused = Signal()
