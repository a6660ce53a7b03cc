"""What customers tell us about self-help guides: product teams learn which guides solve problems."""

from __future__ import annotations

from collections.abc import Sequence

from returns.models import HelpGuide, SelfHelpOutcome


def self_help_record(*, guided: Sequence[tuple[int, HelpGuide]], solved: bool) -> None:
    """Record, per order line shown a guide, whether the guide solved the problem."""
    SelfHelpOutcome.objects.bulk_create(
        SelfHelpOutcome(order_line_id=line_id, product_id=guide.product_id, solved=solved) for line_id, guide in guided
    )
