"""The parcel's documents as PDF, pure functions of plain data.

- `render_label`: the return label, A6 for label printers or A6 in a cut-out frame on A4.
- `render_packing_instructions`: what goes in the parcel and how to send it, on A4.

Texts go through gettext in the document's language; dates through `returns_portal.core.l10n`.
Helvetica is built into every PDF reader and covers the Nordic letters, so no
font files ship with the portal.
"""

from returns.documents.label import LabelData, render_label
from returns.documents.packing import PackingData, PackingItem, render_packing_instructions

__all__ = ["LabelData", "PackingData", "PackingItem", "render_label", "render_packing_instructions"]
