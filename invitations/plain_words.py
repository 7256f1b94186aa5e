"""Worker-speak: the words of meetings and reports that put people off an invitation, each with a plainer
word or phrase to use instead. The letter editor looks for them as the facilitator types.

Matching is of whole words and phrases, in any case, with the usual endings (``stakeholders``,
``engaging``, ``facilitated``) and a hyphen, a space or nothing between the parts of a compound
(``multi-agency``, ``multi agency``, ``multiagency``); a term is never found inside another word
(``engagement`` is found, ``disengagement`` is not; ``outcome`` is, ``outcomes-led`` only as ``outcomes``).
"""

import re
from dataclasses import dataclass
from functools import cache

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class PlainWord:
    term: str
    plainer: str
    # Forms the usual endings do not cover (an abbreviation, an adverb); matched as whole words too.
    also: tuple[str, ...] = ()
    # Some terms take no endings: a fixed phrase ("prior to"), or one whose endings are ordinary English.
    inflect: bool = True


WORKER_SPEAK: tuple[PlainWord, ...] = (
    PlainWord("stakeholder", _("people involved")),
    PlainWord("multi-agency", _("different services together")),
    PlainWord("outcome", _("what changes")),
    PlainWord("capacity building", _("helping people do more"), also=("capacity-build",)),
    PlainWord("deliverable", _("what we will do")),
    PlainWord("engagement", _("taking part")),
    PlainWord("engage", _("take part")),
    PlainWord("provision", _("what's on offer")),
    PlainWord("facilitate", _("help")),
    PlainWord("leverage", _("use")),
    PlainWord("holistic", _("whole"), also=("holistically",)),
    PlainWord("synergy", _("working well together"), also=("synergistic",)),
    PlainWord("empower", _("help people take the lead")),
    PlainWord("empowerment", _("people taking the lead")),
    PlainWord("signpost", _("point people to")),
    PlainWord("cohort", _("group")),
    PlainWord("intervention", _("help")),
    PlainWord("pathway", _("way")),
    PlainWord("framework", _("plan")),
    PlainWord("key performance indicator", _("how we know it is working"), also=("KPI", "KPIs")),
    PlainWord("best practice", _("what works well")),
    PlainWord("going forward", _("from now on"), inflect=False),
    PlainWord("touch base", _("get in touch"), also=("touching base", "touched base", "touches base")),
    PlainWord("partnership working", _("working together"), inflect=False),
    PlainWord("service user", _("people who use the service")),
    PlainWord("target group", _("people we hope to reach")),
    PlainWord("hard to reach", _("people we don't often hear from"), inflect=False),
    PlainWord("multi-disciplinary", _("from different jobs"), also=("multidisciplinary",)),
    PlainWord("utilise", _("use"), also=("utilize", "utilizes", "utilized", "utilizing", "utilisation")),
    PlainWord("commence", _("start")),
    PlainWord("prior to", _("before"), inflect=False),
    PlainWord("in order to", _("to"), inflect=False),
    PlainWord("with regard to", _("about"), inflect=False, also=("with regards to",)),
    PlainWord("ascertain", _("find out")),
    PlainWord("endeavour", _("try"), also=("endeavor", "endeavors", "endeavored", "endeavoring")),
    PlainWord("collaborate", _("work together")),
    PlainWord("collaboration", _("working together")),
    PlainWord("collaborative", _("shared")),
    PlainWord("co-production", _("making things together")),
    PlainWord("co-design", _("planning together")),
    PlainWord("upskill", _("learn new skills"), also=("upskilling", "upskilled", "upskills")),
    PlainWord("paradigm", _("way of thinking")),
    PlainWord("proactive", _("early"), also=("proactively",)),
    PlainWord("robust", _("strong"), inflect=False),
    PlainWord("evidence-based", _("shown to work"), inflect=False),
    PlainWord("key priority", _("what matters most"), also=("key priorities",), inflect=False),
    PlainWord("actionable", _("practical"), inflect=False),
    PlainWord("bandwidth", _("time")),
    PlainWord("deep dive", _("close look")),
    PlainWord("safeguarding", _("keeping children safe"), inflect=False),
    PlainWord("early years", _("young children"), inflect=False),
    PlainWord("parental involvement", _("parents taking part"), inflect=False),
    PlainWord("community cohesion", _("getting on together"), inflect=False),
    PlainWord("social capital", _("people knowing and helping each other"), inflect=False),
    PlainWord("asset-based", _("starting from what is good here"), inflect=False),
    PlainWord("needs assessment", _("finding out what people need")),
    PlainWord("action planning", _("making plans together"), inflect=False),
    PlainWord("consultation", _("asking what people think")),
    PlainWord("mechanism", _("way")),
    PlainWord("strategic", _("long-term"), also=("strategically",), inflect=False),
    PlainWord("workstream", _("part of the work")),
    PlainWord(
        "take ownership", _("take charge"), also=("taking ownership", "took ownership", "takes ownership")
    ),
    PlainWord("outreach", _("going out to meet people"), inflect=False),
    PlainWord("partner agency", _("local services"), also=("partner agencies",), inflect=False),
    PlainWord("statutory services", _("council and health services"), inflect=False),
    PlainWord("voluntary sector", _("local groups and charities"), also=("third sector",), inflect=False),
    PlainWord("attainment", _("how children do at school")),
    PlainWord("wellbeing", _("health and happiness"), also=("well-being",), inflect=False),
    PlainWord("key stakeholder", _("people involved")),
)

_SEPARATOR = r"(?:\s+|-)"  # between the words of a phrase: spaces (even a line break) or a hyphen
_VOWELS = "aeiou"


def _endings(word: str) -> str:
    """A pattern for a word with its plural and -ed/-ing forms: engage, engages, engaged, engaging."""
    if word.endswith("e"):
        stem = re.escape(word[:-1])
        return f"{stem}(?:e|es|ed|ing)"
    if word.endswith("y") and len(word) > 1 and word[-2] not in _VOWELS:
        stem = re.escape(word[:-1])
        return f"{stem}(?:y|ies|ied|ying)"
    if word.endswith(("s", "x", "ch", "sh")):
        return f"{re.escape(word)}(?:es|ed|ing)?"
    return f"{re.escape(word)}(?:s|ed|ing)?"


def _phrase(text: str, *, inflect: bool) -> str:
    """A pattern for a term: its words joined by any separator; the last word takes the usual endings.
    A hyphenated compound may also be written as one word (multi-agency, multiagency)."""
    words = re.split(r"[\s-]+", text.strip())
    hyphenated = "-" in text
    separator = r"(?:\s+|-)?" if hyphenated else _SEPARATOR
    parts = [re.escape(word) for word in words[:-1]]
    parts.append(_endings(words[-1]) if inflect else re.escape(words[-1]))
    return separator.join(parts)


def _term_pattern(entry: PlainWord) -> str:
    forms = [_phrase(entry.term, inflect=entry.inflect)]
    forms += [_phrase(form, inflect=False) for form in entry.also]
    return "|".join(forms)


@cache
def _matcher() -> tuple[re.Pattern[str], tuple[PlainWord, ...]]:
    # Longer terms first, so that "key stakeholder" wins over "stakeholder" where both match.
    ordered = tuple(sorted(WORKER_SPEAK, key=lambda entry: len(entry.term), reverse=True))
    alternatives = "|".join(f"(?P<t{index}>{_term_pattern(entry)})" for index, entry in enumerate(ordered))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE), ordered


def find_worker_speak(text: str) -> list[tuple[str, str]]:
    """Every worker-speak term in ``text``, as written there, with a plainer word to use instead; each
    term once (the first time it appears, whatever its case), in the order they appear."""
    pattern, ordered = _matcher()
    found: list[tuple[str, str]] = []
    seen: set[str] = set()
    for match in pattern.finditer(text):
        index = int(match.lastgroup[1:])  # type: ignore[index]
        as_written = " ".join(match.group(0).split())
        key = as_written.casefold()
        if key not in seen:
            seen.add(key)
            found.append((as_written, str(ordered[index].plainer)))
    return found
