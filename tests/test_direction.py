"""The direction core <- returns <- refunds <- followup <- pages holds where import-linter cannot see it.

import-linter (pyproject.toml) proves that no module imports a layer above its own. A lower layer can
still depend on a higher one without importing it: a template that links to its URL names or reads
its reverse relations (`{{ r.refunds.all }}`), a query that follows them (`"refunds__store_credit"`),
a `reverse("admin:refunds_...")`, a check of its permissions. These tests read every template and
module of each layer for such references.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
# Each layer may use those of a lower rank, none of a higher one.
LAYERS = {
    "core": ROOT / "returns_portal/core",
    "returns": ROOT / "returns",
    "refunds": ROOT / "refunds",
    "followup": ROOT / "followup",
    "pages": ROOT / "returns_portal/pages",
    # the project's apps that compose all three
    "staff": ROOT / "returns_portal/staff",
    "operations": ROOT / "returns_portal/operations",
    "privacy": ROOT / "returns_portal/privacy",
    "demo": ROOT / "returns_portal/demo",
}
RANK = dict.fromkeys(LAYERS, 4) | {"core": 0, "returns": 1, "refunds": 2, "followup": 3}
URL_NAMESPACES = {"returns": "returns", "followup": "followup", "support": "pages"}
URL_NAMES = {"insight": "pages", "insight-bookkeeping": "pages"}

URL_PATTERN = re.compile(r"""(?:\{%\s*url|reverse(?:_lazy)?\(|redirect\()\s*["']([\w:-]+)["']""")
PERMS_PATTERN = re.compile(
    r"""perms\.(\w+)\.|has_perms?\(\s*["'](\w+)\.|["'](\w+)\.(?:view|add|change|delete)_\w+["']"""
)


def _files(layer: str) -> Iterator[Path]:
    for path in sorted(LAYERS[layer].rglob("*")):
        if path.suffix in (".py", ".html", ".txt") and "migrations" not in path.parts:
            yield path


def _owner_of_url(name: str) -> str | None:
    if name.startswith("admin:"):
        label = name.removeprefix("admin:").split("_", 1)[0]
        return label if label in RANK else None
    namespace, _, short = name.rpartition(":")
    return URL_NAMESPACES.get(namespace) if namespace else URL_NAMES.get(short)


def _relations_leading_up(layer: str) -> dict[str, str]:
    """Reverse accessors and query names on the models this layer may see, that lead to a layer above."""
    names: dict[str, str] = {}
    for model in apps.get_models():
        owner = model._meta.app_label
        if owner not in RANK or RANK[owner] > RANK[layer]:
            continue
        for relation in model._meta.related_objects:
            above = relation.related_model._meta.app_label
            if above in RANK and RANK[above] > RANK[layer] and not relation.hidden:
                names[relation.get_accessor_name()] = above
                names[relation.field.related_query_name()] = above
    return names


def _references_up(layer: str) -> list[str]:
    relations = _relations_leading_up(layer)
    names = "|".join(map(re.escape, relations))
    relation_pattern = re.compile(rf"""(?:\.|["'])({names})(?:__\w+)?\b(?!\s*=)""") if relations else None
    found = []
    for path in _files(layer):
        text = path.read_text()
        where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        for name in URL_PATTERN.findall(text):
            owner = _owner_of_url(name)
            if owner and RANK[owner] > RANK[layer]:
                found.append(f"{where}: URL {name!r} belongs to {owner}")
        for groups in PERMS_PATTERN.findall(text):
            label = next(group for group in groups if group)
            if label in RANK and RANK[label] > RANK[layer]:
                found.append(f"{where}: permission of {label}")
        for match in relation_pattern.finditer(text) if relation_pattern else ():
            found.append(f"{where}: reads {match.group(1)!r}, a relation of {relations[match.group(1)]}")
    return found


@pytest.mark.parametrize("layer", LAYERS)
def test_no_layer_reads_a_layer_above_it_in_templates_urls_or_relations(layer: str) -> None:
    assert _references_up(layer) == []


def test_the_check_sees_a_read_against_the_direction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check is not blind: a returns template that lists refunds and links to the follow-up app fails it."""
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "bad.html").write_text(
        "{% for refund in return.refunds.all %}{{ refund }}{% endfor %}{% url 'followup:resend' 1 %}"
    )
    (tmp_path / "bad.py").write_text('ReturnRequest.objects.prefetch_related("refunds__store_credit")\n')
    monkeypatch.setitem(LAYERS, "returns", tmp_path)
    found = _references_up("returns")
    assert len(found) == 3, found
    assert any("'followup:resend' belongs to followup" in line for line in found)
    assert sum("a relation of refunds" in line for line in found) == 2
