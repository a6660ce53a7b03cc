"""Follow-ups: the outbox of e-mails and webhook deliveries, written in the transaction of the event
that causes them and sent by Celery exactly once; confirmations, receipt and refund notices, thanks
and the survey, win-back offers, unsubscribe, and the survey's figures for the dashboard.

May import `refunds`, `returns` and `returns_portal.core`; it reacts to their signals in
`followup.receivers` and never reaches into their internals. Only the project's pages
(`returns_portal.pages`, ...) build on it.
"""
