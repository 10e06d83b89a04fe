"""Every language says what English says, and every string renders as written.

Each language file holds exactly the keys of `en.json`, with the same placeholders, code spans
and references in each string: Home Assistant falls back to English for a missing key only, and
a renamed placeholder fails when the string is formatted.

The frontend renders descriptions, errors and repair texts as Markdown, placeholders filled in.
A `*` in `session.*` outside a code span turns the rest of a line into italics, and the `*` is
gone; a `_` or `<` can do the same. Names like these belong in code spans.
"""

from __future__ import annotations

from collections.abc import Iterator
import html
import json
from pathlib import Path
import re

from homeassistant.util import slugify
from markdown_it import MarkdownIt
import pytest

from custom_components.cpms.const import EDRV_WEBHOOK_EVENTS, THOR_WEBHOOK_SECTIONS

TRANSLATIONS = Path(__file__).parents[1] / "custom_components" / "cpms" / "translations"
LANGUAGES = ("de", "es", "fr", "it", "nl")
# What the integration fills in; anything else gets a plain word.
PLACEHOLDERS = {
    "events": EDRV_WEBHOOK_EVENTS,
    "sections": THOR_WEBHOOK_SECTIONS,
    "url": "https://example.com/api/webhook/0f1e_2d3c*4b5a",
}
# Characters that Markdown may take as markup instead of showing them.
FRAGILE = "*_\\[]<>~"
_MARKDOWN = MarkdownIt("commonmark")


def strings(node: object, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string of a translation file, with its key path."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from strings(value, f"{path}.{key}" if path else key)
    elif isinstance(node, str):
        yield path, node


def load(language: str) -> dict[str, str]:
    """A language's strings by key path."""
    return dict(strings(json.loads((TRANSLATIONS / f"{language}.json").read_text("utf-8"))))


def literals(text: str) -> list[str]:
    """What a translation keeps as written: placeholders, code spans and string references."""
    return sorted(set(re.findall(r"\{\w+\}|`[^`]*`|\[%key:[^%]*%\]", text)))


def differences(english: dict[str, str], other: dict[str, str]) -> dict[str, object]:
    """How a language departs from English: keys it lacks or adds, literals it changes."""
    return {
        "missing": sorted(english.keys() - other.keys()),
        "extra": sorted(other.keys() - english.keys()),
        "changed": {
            path: (literals(text), literals(other[path]))
            for path, text in english.items()
            if path in other and literals(text) != literals(other[path])
        },
    }


def fill(text: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PLACEHOLDERS.get(m[1], "value"), text)


def swallowed(text: str) -> list[str]:
    """The characters that the rendered text lacks, compared with what was written."""
    shown = html.unescape(re.sub(r"<[^>]+>", "", _MARKDOWN.render(text)))
    lost = [char for char in FRAGILE if shown.count(char) != text.count(char)]
    if "`" in shown:
        lost.append("`")  # an unclosed code span
    return lost


def test_languages_shipped() -> None:
    """English and exactly the languages listed here: a new file gets checked by being listed."""
    assert sorted(path.stem for path in TRANSLATIONS.glob("*.json")) == sorted(("en", *LANGUAGES))


@pytest.mark.parametrize("language", LANGUAGES)
def test_language_matches_english(language: str) -> None:
    """Same keys as `en.json`, and each string keeps its placeholders, code spans and references."""
    assert differences(load("en"), load(language)) == {"missing": [], "extra": [], "changed": {}}


def test_check_finds_departures() -> None:
    """The check itself: a lacking key, an added key and a changed placeholder are each found."""
    english = {"a.title": "Webhooks of {title}", "a.url": "Paste `{url}` here.", "b": "Stop"}
    other = {"a.title": "Webhooks von {titel}", "a.url": "Füge {url} hier ein.", "c": "Halt"}
    assert differences(english, other) == {
        "missing": ["b"],
        "extra": ["c"],
        "changed": {
            "a.title": (["{title}"], ["{titel}"]),
            "a.url": (["`{url}`"], ["{url}"]),
        },
    }


@pytest.mark.parametrize("language", ["en", *LANGUAGES])
def test_translations_render_as_written(language: str) -> None:
    """No translation string loses a character to Markdown, placeholders filled in."""
    texts = load(language)
    assert texts
    broken = {path: lost for path, text in texts.items() if (lost := swallowed(fill(text)))}
    assert broken == {}


@pytest.mark.parametrize(
    "text",
    [
        "Subscribe to session.*, chargestation.online and chargestation.set_power_limit.*.",
        "Set charge_point_id and __init__.",
        "Paste <url> here.",
        "An unclosed `code span.",
    ],
)
def test_check_finds_swallowed_markdown(text: str) -> None:
    """The check itself: each of these loses characters when rendered."""
    assert swallowed(text)


def test_event_names_are_code() -> None:
    """The eDRV events, wildcards included, reach the screen literally."""
    shown = _MARKDOWN.render(EDRV_WEBHOOK_EVENTS)
    assert "<code>session.*</code>" in shown
    assert "<code>chargestation.set_power_limit.*</code>" in shown


def test_entity_names_match_their_keys() -> None:
    """A new connector entity's id is built from its key, so the key is its English name."""
    entity = json.loads((TRANSLATIONS / "en.json").read_text("utf-8"))["entity"]
    for platform in ("sensor", "switch", "number"):
        for key, texts in entity[platform].items():
            assert slugify(texts["name"]) == key, (platform, key)
