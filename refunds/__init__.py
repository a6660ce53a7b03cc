"""Refunds: the money (or store credit) going back for a return or as goodwill, its state machine and
caps, the payment-provider adapters, store credit codes, the bookkeeping report and the refund
figures of the dashboard.

May import `returns` and `returns_portal.core`. `followup` builds on it through its signals
(`refunds.signals`) and event payloads (`refunds.events`); it never names `followup` or the
project's pages.
"""
