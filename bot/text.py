"""Light text analysis with no model: terms, stems, acronyms, names and question types."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

STOPWORDS = frozenset(
    """
    a an the and or but if then than so of in on at to for from by with about into onto over
    under after before as is are was were be been being am do does did doing done have has
    had having will would shall should can could may might must not no nor this that these
    those it its it's he him his she her hers they them their theirs we us our you your i me
    my mine what which who whom whose when where why how there here also just very too any
    all some such each other both either neither one own same only more most much many again
    further once up down out off above below between through during while until against
    among per tell me please give let know say said says according article story report text
    """.split()
)
WH_WORDS = ("who", "whom", "whose", "what", "which", "when", "where", "why", "how")
PRONOUNS = {"he": "", "him": "", "his": "'s", "she": "", "her": "'s", "hers": "'s"}
PLURAL_PRONOUNS = {"they": "", "them": "", "their": "'s"}
SPEECH_VERBS = r"(?:said|says|told|tells|added|declared|stated|asked|argued|warned|wrote|noted)"

_ORGANISATION = re.compile(
    r"\b(?:Coalition|Ministry|Council|Army|Force|Forces|Party|Government|Nations|Union|"
    r"Department|Agency|Committee|Organi[sz]ation|Association|Media|Group|Court|Assembly|"
    r"Company|Corporation|University|Bank|Office|News|Times|Post)\b"
)
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]*(?:['’][A-Za-z]+)?")
# letters of any alphabet after the capital, so "Solimões" is one name
# an initial ("William E. Simon", "J. K. Rowling") joins the run when a capital follows
CAPITALISED_RUN = re.compile(
    r"\b(?:(?<![.\w])[A-Z]\.\s+(?=[A-Z]))*[A-ZÀ-ÖØ-Þ][^\W\d_]*(?:-[^\W_]+)*(?:['’]s)?"
    r"(?:\s+(?:(?:of|the|al|de|bin|von|van)\s+)*(?:(?<![.\w])[A-Z]\.\s+(?=[A-Z]))*"
    r"[A-ZÀ-ÖØ-Þ][^\W\d_]*(?:-[^\W_]+)*)*"
)
_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundreds?|thousands?|millions?|billions?|dozens?|scores"
)
_NUMBER = re.compile(rf"\b(?:\d[\d,.]*|{_NUMBER_WORDS})\b", re.I)
_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_WEEKDAYS = r"monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_DATE = re.compile(
    rf"\b(?:(?:{_MONTHS})\.?\s+\d{{1,2}}|\d{{1,2}}\s+(?:{_MONTHS})|{_WEEKDAYS}|1\d{{3}}s?|20\d\ds?|"
    r"(?:early|mid|late)[- ](?:1\d|20)\d0s|\d{1,2}(?:st|nd|rd|th) century|"
    r"\d{1,2}/\d{1,2}/(?:\d\d)?\d\d|(?:1\d|20)\d\d-[01]\d-[0-3]\d|"
    r"yesterday|today|tomorrow|tonight|\d{1,2}[:.]\d\d\s*(?:am|pm|a\.m\.|p\.m\.)?|"
    r"last (?:week|month|year)|next (?:week|month|year)|this (?:week|month|year))\b",
    re.I,
)
_AGE = re.compile(
    rf"\b(?:\d{{1,3}}|{_NUMBER_WORDS})[- ](?:year|month|week|day)s?[- ]old\b|\baged? \d{{1,3}}\b|"
    rf"\bage of (?:\d{{1,3}}|{_NUMBER_WORDS})\b|, \d{{1,3}},",
    re.I,
)
_MEASURE = re.compile(
    rf"\b(?:\d[\d,.]*|{_NUMBER_WORDS})\s*(?:%|percent|per cent|m|km|cm|mm|metres?|meters?|feet|"
    r"foot|ft|inch(?:es)?|miles?|kg|kilograms?|tons?|tonnes?|pounds?|lbs?|litres?|liters?|"
    r"gallons?|degrees?|storeys?|stories|floors?|hectares?|acres?|seconds?|minutes?|hours?|"
    r"days?|weeks?|months?|years?|decades?|centuries)\b",
    re.I,
)
_MONEY = re.compile(
    r"(?:US|A|C|HK)?[$€£¥]\s?\d[\d,.]*(?:\s*(?:million|billion|trillion|thousand|m|bn|k)\b)?|"
    r"\b\d[\d,.]*\s*(?:(?:million|billion|thousand)\s+)?(?:dollars?|euros?|pounds?|yuan|rubles?|lira)\b",
    re.I,
)
_LOCATIVE = re.compile(r"\b(?:in|at|on|from|near|inside|outside|across|to)\s+(?:the\s+)?[A-Z]")
# "When was X born?": only a sentence that tells a birth can answer it ("born", "birth", a
# native, or a life's span "(1249–1314)"); a year that X did something in is no answer
_ASKS_BIRTH = re.compile(
    r"^\s*(?:when|where|(?:in )?(?:what|which) (?:year|date|day|month|city|town|country|place))"
    r"\b.*\bborn\b|\b(?:date|place|year) of (?:his |her |their )?birth\b|\bbirth ?(?:date|day|place)\b",
    re.I,
)
_TELLS_BIRTH = re.compile(
    r"\bborn\b|\bbirth|\bnative of\b|\bn[ée]e\b|\(\s*(?:b\.\s*)?\d{3,4}\s*[–—-]\s*\d{0,4}\s*\)",
    re.I,
)
# "What is Lavrov's first name?": only a sentence that names the person at more length
# ("Sergei Lavrov") answers; one that only says "Lavrov" (or names another) gives no first name
_ASKS_NAME_PART = re.compile(
    r"\b(?:first|given|christian|full|last|family|middle|maiden) name\b|\bforename\b|\bsurname\b",
    re.I,
)
# what an answer of each kind looks like in a sentence
ANSWER_PATTERNS = {
    "number": _NUMBER,
    "age": _AGE,
    "measure": _MEASURE,
    "money": _MONEY,
    "date": _DATE,
}


# the selector stems the same few thousand words for every candidate of every question
@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A small suffix stripper: enough to meet 'heads'/'head', 'stated'/'statement',
    'Russian'/'Russia'. Both sides of a comparison go through it, so odd stems do no harm."""
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        word = word[:-1]
    for suffix, keep in (
        ("ie", "y"),
        ("ment", ""),
        ("ing", ""),
        ("ed", ""),
        ("ly", ""),
        ("an", "a"),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + keep
            break
    word = word[:-1] if word.endswith("e") and len(word) > 3 else word
    # controlled/control, stopped/stop: a doubled final consonant counts once
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]
    return word


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def content_terms(text: str, unique: bool = True) -> list[str]:
    """Stems of the words that carry meaning, in order (without repeats, if `unique`)."""
    terms = []
    for word in words(text):
        if _is_acronym(word):
            terms.append("acr:" + word.lower())
        elif word.lower().replace("’", "'") not in STOPWORDS:
            terms.append(stem(word))
    return list(dict.fromkeys(terms)) if unique else terms


def term_set(text: str) -> frozenset[str]:
    """Every term a sentence offers: stems, acronyms it spells out, acronyms it uses."""
    terms = {stem(w) for w in words(text)}
    terms |= {"acr:" + w.lower() for w in words(text) if _is_acronym(w)}
    for run in names(text):
        initials = [w[0].lower() for w in run.split() if w[0].isupper()]
        for i in range(len(initials)):
            for j in range(i + 2, len(initials) + 1):
                terms.add("acr:" + "".join(initials[i:j]))
    return frozenset(terms)


def _is_acronym(word: str) -> bool:
    return 2 <= len(word) <= 6 and word.isupper() and word.isalpha()


def names(text: str) -> list[str]:
    """Runs of capitalised words ('John Kerry', 'Syrian National Coalition'), less the little
    words that open a sentence ('The', 'Who', 'In the', 'Yesterday'), and not a hashtag or a
    handle ('#IStandWithAhmed'). 'US' and 'IT' are names, not 'us' and 'it'."""
    runs = []
    for match in CAPITALISED_RUN.finditer(text):
        if text[max(match.start() - 1, 0) : match.start()] in ("#", "@"):
            continue
        # an owner and what it owns are two names: "Demosisto's Nathan Law"
        for run in _POSSESSIVE.split(re.sub(r"['’]s$", "", match.group(0))):
            parts = run.split()
            while parts and _opens_sentence(parts[0]):
                parts = parts[1:]
            if parts and not all(_little(word) for word in parts):
                runs.append(" ".join(parts))
    return runs


_POSSESSIVE = re.compile(r"['’]s\s+")


# capitalised only because they open a sentence: "Yesterday Mohamed received ..."
_SENTENCE_OPENERS = frozenset(
    """
    yesterday today tomorrow tonight meanwhile however earlier later recently currently
    finally instead nevertheless nonetheless moreover furthermore additionally previously
    eventually initially subsequently afterwards overall
    """.split()
)


def _little(word: str) -> bool:
    return word.lower() in STOPWORDS and not _is_acronym(word)


# and adverbs of their shape: "Allegedly, he ...", "Reportedly", "Unfortunately"
_OPENING_ADVERB = re.compile(r"[A-Z][a-z]{3,}(?:edly|ently|antly|ately|ally|ously|ingly|ively)$")


def _opens_sentence(word: str) -> bool:
    lowered = word.lower()
    return (
        _little(word)
        or lowered in WH_WORDS
        or lowered in _SENTENCE_OPENERS
        or _OPENING_ADVERB.match(word) is not None
    )


def looks_like_organisation(name: str) -> bool:
    return bool(_ORGANISATION.search(name))


KINDS = ("number", "age", "measure", "money", "date", "person", "place", "name", "open")
# "which hospital ...?": things known by a proper name, so the answer must name one
_NAMEABLE = (
    r"hospital|school|university|college|company|firm|newspaper|paper|journal|magazine|"
    r"station|network|channel|airline|team|club|party|organi[sz]ation|agency|ministry|court|"
    r"stadium|museum|church|bank|brand|book|film|movie|song|award|prize|ship|spacecraft|"
    r"shuttle|orbiter|law|act|bill|treaty|group|camp|constituency|district"
)
# "which official ...?": a person, named or described
_PERSON_NOUNS = (
    r"official|person|man|woman|president|minister|secretary|leader|politician|player|coach|"
    r"officer|spokes(?:man|woman|person)|author|scientist|researcher|senator|governor|mayor|"
    r"judge|lawyer|barrister|prosecutor|doctor|member|candidate|executive|founder|ambassador|"
    r"student|teacher|director|chief|head|commander|pilot|astronaut|referee|captain"
)


@dataclass(frozen=True)
class QuestionType:
    """What kind of answer a question wants, so a sentence lacking one can't answer it."""

    kind: str  # one of KINDS
    # for "how many X": the stem of X; BIRTH for "when was X born?"; NAME_PART for "what is
    # X's first name?"
    focus: str = ""
    # for "How old is X?": X, whose age it must be ("Ahmed's father": "father")
    subject: str = ""


# "How old is Daniel Montalvo?", "How old is Ahmed's father?": whose age is asked
_AGE_SUBJECT = re.compile(
    r"\b(?i:how old (?:is|was|will|would)(?: be)?) (?P<name>[A-Z][\w\-]*(?: [A-Z][\w\-]*)*)"
    r"(?:['’]s (?P<owned>[a-z]+))?"
)
BIRTH = "(birth)"  # a focus no stem can equal
NAME_PART = "(name part)"  # "What is X's first name?"


_HOW_MANY = re.compile(
    r"\bhow (?:many|much)\s+((?:[a-z\-]+\s+){0,3}?[a-z\-]+)\s+(?:are|were|is|was|do|does|did|have|has|had|will|would|could|can|died|killed)\b",
    re.I,
)


# "What had the secretary negotiated?" asks for a thing: a verb, not an adjective, sits between
_AUXILIARIES = (
    r"(?:had|has|have|did|does|do|was|were|is|are|will|would|can|could|should|may|might)\b"
)


def question_type(question: str) -> QuestionType:
    q = question.lower()
    if _ASKS_BIRTH.search(q):
        return QuestionType("place" if q.lstrip().startswith("where") else "date", BIRTH)
    if _ASKS_NAME_PART.search(q):
        return QuestionType("name", NAME_PART)
    if re.search(r"\bhow old\b|\bwhat age\b|\bage of\b", q):
        subject = _AGE_SUBJECT.search(question)
        whose = (subject.group("owned") or subject.group("name")) if subject else ""
        whose = "" if whose.startswith("The ") else whose  # "The Beatles drummer": unsure
        return QuestionType("age", subject=whose)
    if re.search(r"\bhow (?:tall|high|long|far|big|large|wide|deep|heavy|fast)\b", q):
        return QuestionType("measure")
    if re.search(
        r"\bhow much (?:money|cash)\b|\bcost\b|\bprice\b|\bhow much\b.*\b(?:spen[dt]|pa(?:y|id)|"
        r"raised?|earn(?:ed)?|worth|fund(?:ing)?|budget|salary|fined?)\b",
        q,
    ):
        return QuestionType("money")
    if re.search(r"\bhow many\b|\bhow much\b|\bwhat (?:number|percentage)\b", q):
        match = _HOW_MANY.search(question)
        focus = stem(match.group(1).split()[-1]) if match else ""
        return QuestionType("number", focus)
    if re.search(
        r"^\s*when\b|\bwhat (?:date|day|year|time|month)\b|\bwhich (?:date|day|year|month)\b|\bon what date\b",
        q,
    ):
        return QuestionType("date")
    if re.search(
        rf"^\s*(?:who|whom|whose)\b|\bby whom\b|\b(?:which|what) (?:(?!{_AUXILIARIES})\w+ )?(?:{_PERSON_NOUNS})s?\b",
        q,
    ):
        return QuestionType("person")
    if re.search(r"^\s*where\b|\bwhich (?:city|country|place|town|province|region)\b", q):
        return QuestionType("place")
    if re.search(rf"\bname of\b|\bnamed?\b.*\?$|\bcalled\?$|\b(?:which|what) (?:{_NAMEABLE})\b", q):
        return QuestionType("name")
    return QuestionType("open")


def tells_birth(sentence: str) -> bool:
    return _TELLS_BIRTH.search(sentence) is not None


def names_at_length(sentence: str, question: str) -> bool:
    """Whether the sentence gives a name the question asks about with more of it: a name of
    two words or more that shares a word with the question's names and adds one."""
    asked = {stem(w) for n in names(question) for w in n.split()}
    for name in names(sentence):
        parts = {stem(w) for w in name.split()}
        if len(name.split()) > 1 and parts & asked and parts - asked:
            return True
    return False


def offers_answer(kind: QuestionType, sentence: str, question: str) -> bool:
    """Whether a sentence holds something of the wanted kind that the question lacks."""
    if kind.focus == BIRTH and not tells_birth(sentence):
        return False
    if kind.focus == NAME_PART:
        return names_at_length(sentence, question)
    if kind.kind == "open":
        return True
    if kind.kind == "number":
        numbers = [m for m in _NUMBER.findall(sentence) if m.lower() not in question.lower()]
        return bool(numbers) and (not kind.focus or kind.focus in term_set(sentence))
    if kind.kind == "age":
        return bool(_AGE.search(sentence))
    if kind.kind == "measure":
        return bool(_MEASURE.search(sentence))
    if kind.kind == "money":
        return bool(_MONEY.search(sentence))
    if kind.kind == "date":
        return any(d.lower() not in question.lower() for d in _DATE.findall(sentence))
    asked = {stem(w) for w in words(question)}
    new_names = [n for n in names(sentence) if not {stem(w) for w in n.split()} <= asked]
    if kind.kind == "place":
        return bool(new_names) or bool(_LOCATIVE.search(sentence))
    if kind.kind == "name":
        return bool(new_names)
    role_words = r"\b(?:official|officials|minister|secretary|spokesman|spokeswoman|president|head|leader|chief|sources|media|police|ministry|government|activists|rebels|witnesses)\b"
    return bool(new_names) or bool(re.search(role_words, sentence, re.I))
