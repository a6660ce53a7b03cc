"""Building blocks below all apps: money, formatting for the customer's locale, codes people type,
periods, the API's base classes, admin helpers, the customer pages' cache and rate limits.

Owns no data and no business rule. Imports Django and libraries only, never an app
(`returns`, `refunds`, `followup`) nor the project's pages: every app may import it.
"""
