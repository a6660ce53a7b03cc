"""Returns: the shop's orders as mirrored here, the return policy and eligibility, return requests and
their state machine, the customer's flow and status page, labels and packing instructions, carriers,
and the staff's admin for returns (receiving, inspection, restocking, exchanges).

May import `returns_portal.core` only. The apps above (`refunds`, `followup`) build on it: they listen
to its signals (`returns.signals`), read its selectors and event payloads (`returns.events`), and add
their part to its pages through `returns.extensions`; it never names them, in code, templates,
URL names or relations (tests/test_direction.py).
"""
