"""The staff and integration roles, defined once: each role's name and the permissions it grants.

A role is a Django group; `returns_portal.core.roles.roles_apply` makes the groups match this table.
It lives in the top app because it names permissions of all three apps, which nothing below may
read. The data migration `followup` 0009 applies it on every database, `seed_demo` on the demo's. A
group here gets exactly what is listed; a shop that wants another mix makes a group of its own,
which this never touches. A change to a role is a new data migration that applies the table again.

The lists are what the seven role migrations of returns, refunds and followup granted between
them, named one by one: those gave "every view permission" of an app, which silently left out the
models added after them, so the lists say what each role may see, not "whatever exists".
"""

from __future__ import annotations

WAREHOUSE = "Warehouse"
SUPPORT = "Support"
SHOP = "Shop"

_RETURNS_READ = frozenset({
    "returns.view_category", "returns.view_product", "returns.view_variant", "returns.view_customer",
    "returns.view_order", "returns.view_orderline", "returns.view_returnpolicy", "returns.view_seasonalextension",
    "returns.view_returnmethodoption", "returns.view_returnreason", "returns.view_returnrequest",
    "returns.view_returnline", "returns.view_returnevent",
})  # fmt: skip
_REFUNDS_READ = frozenset({
    "refunds.view_refund", "refunds.view_refundevent", "refunds.view_refundline", "refunds.view_storecredit",
})  # fmt: skip
# Both staff roles read the outbox and survey answers and may queue a message again (a failed one, or
# the customer's status link resent by support); neither changes follow-up settings or offers.
_FOLLOWUP_READ_AND_RESEND = frozenset({
    "followup.view_followupsettings", "followup.view_marketingobjection", "followup.view_offercode",
    "followup.view_outboxmessage", "followup.view_surveyanswer",
    "followup.add_outboxmessage", "followup.change_outboxmessage",
})  # fmt: skip

# Receives, inspects and restocks; pays refunds; ships replacements (a change of the order).
_WAREHOUSE_WORK = frozenset({
    "returns.change_returnrequest", "returns.change_returnline", "returns.change_variant", "returns.change_order",
    "refunds.change_refund",
})  # fmt: skip
# The store's API token: pushes orders, reads returns and refunds, spends store credit at its checkout.
_SHOP_API = frozenset({
    "returns.add_order", "returns.change_order", "returns.view_order", "returns.view_customer",
    "returns.view_returnrequest", "refunds.change_storecredit",
})  # fmt: skip

ROLES: dict[str, frozenset[str]] = {
    WAREHOUSE: _RETURNS_READ | _REFUNDS_READ | _FOLLOWUP_READ_AND_RESEND | _WAREHOUSE_WORK,
    SUPPORT: _RETURNS_READ | _REFUNDS_READ | _FOLLOWUP_READ_AND_RESEND,  # answers customers, resends messages
    SHOP: _REFUNDS_READ | _SHOP_API,
}
