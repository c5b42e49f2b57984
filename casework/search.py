"""Words of a case's matter for full-text search (the header's search box and the case list).

Only ``matter_name`` is indexed: it is not encrypted and not personal (it is the name of the matter
the person could not get done). The encrypted fields are never indexed in clear text: a case is
found by its NO, by the keyed blind indexes of phone and ID number (casework.services), or by words
of its matter.

Chinese has no spaces, and PostgreSQL's parsers (zhparser, pg_jieba) are not installed here, so the
text is cut in Python into **overlapping bigrams** (营业执照 → 营业 业执 执照) plus its single
characters, and stored as a ``simple`` tsvector built with ``array_to_tsvector`` (the lexemes exactly
as given, no parser in between). A query is cut the same way: the bigrams of each run of Chinese
characters (a single character alone), every one of which must be present. Any substring of two
characters or more of a matter therefore finds it, whatever a dictionary would think of the word;
runs of Latin letters and digits are words of their own, matched as prefixes in a query. Bigrams were
chosen over jieba (docs/casework.md, "Search"): no 20 MB dictionary to load in every process, no
segmentation that cuts the matter and the query differently, the same result in Python and SQL.
"""

from __future__ import annotations

import re
import unicodedata

from django.contrib.postgres.search import SearchVectorField
from django.db.models import BooleanField, Expression, F, Func, Value

# CJK unified ideographs (with extension A and the compatibility block); other letters and digits.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_IS_CJK = re.compile(rf"[{_CJK}]")
# A query longer than this is cut: nobody types more to find a matter, and the tsquery stays small.
QUERY_MAX_CHARS = 60


def _runs(text: str) -> list[str]:
    return _RUNS.findall(unicodedata.normalize("NFKC", text or "").lower())


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)] if len(run) > 1 else [run]


def matter_lexemes(text: str) -> list[str]:
    """The lexemes stored for a matter's name: each Chinese character and each bigram, each other
    word; sorted and without repeats."""
    lexemes: set[str] = set()
    for run in _runs(text):
        if _IS_CJK.match(run):
            lexemes.update(run)
            lexemes.update(_bigrams(run))
        else:
            lexemes.add(run)
    return sorted(lexemes)


def query_lexemes(text: str) -> list[tuple[str, bool]]:
    """What a search for ``text`` asks for: (lexeme, prefix) pairs, all of which must match."""
    wanted: dict[str, bool] = {}
    for run in _runs((text or "")[:QUERY_MAX_CHARS]):
        if _IS_CJK.match(run):
            for lexeme in _bigrams(run):
                wanted.setdefault(lexeme, False)
        else:
            wanted[run] = True
    return list(wanted.items())


def matter_search_vector(text: str) -> Expression:
    """The value of ``Case.matter_search`` for a matter's name (an SQL expression to save)."""
    return Func(Value(matter_lexemes(text)), function="array_to_tsvector", output_field=SearchVectorField())


def matter_matches(text: str, field: str = "matter_search") -> Expression | None:
    """A condition for ``filter()``: the matter contains the words of ``text``; None when ``text``
    has no word at all. The tsquery is written from lexemes that contain only letters and digits
    (no quote, no operator), each quoted."""
    wanted = query_lexemes(text)
    if not wanted:
        return None
    query = " & ".join(f"'{lexeme}'{':*' if prefix else ''}" for lexeme, prefix in wanted)
    tsquery = Func(Value(query), template="%(expressions)s::tsquery")
    return Func(F(field), tsquery, template="%(expressions)s", arg_joiner=" @@ ", output_field=BooleanField())
