"""Which rules can start at a word: the index that keeps the scan at millions of characters per second.

Python's regex engine pays for every alternative it tries at every word, so one alternation of all rules
costs a few microseconds per word. Instead, a light trigger regex finds the words that can begin a temporal
expression ('the', 'last', 'March', a digit...), and only the rules that can start with that word are tried
there. The start words of each rule are read from its compiled pattern (the parse tree of `re`), so the
index cannot drift from the rules.
"""

from __future__ import annotations

import re

try:  # the parser behind `re` (public as sre_parse before Python 3.11)
    import re._constants as _sre
    import re._parser as _sre_parse
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants as _sre  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

ANY = "*"  # a rule whose first word cannot be enumerated: tried at every trigger
DIGIT = "#"  # a rule that can start with a digit
# Words so common that the word after them is part of the key ("the quarter", "the #" for "the 1990s").
TWO_WORD_KEYS = frozenset({"the"})

_MAX_WORD = 40


class _Wildcard(Exception):
    pass


def start_words(pattern: str) -> frozenset[str]:
    """The lower-case words (maximal runs of letters) a match of `pattern` can start with: DIGIT for a
    digit, the character itself for other non-letters, ANY when they cannot be listed."""
    try:
        tree = _sre_parse.parse(pattern)
    except re.error:
        return frozenset({ANY})
    words: set[str] = set()
    try:
        _walk(list(tree), 0, "", (), words)
    except (_Wildcard, RecursionError):
        return frozenset({ANY})
    return frozenset(words)


def _emit(prefix: str, char: str | None, words: set[str]) -> None:
    if prefix.endswith(" "):
        words.add(prefix + (DIGIT if char is not None and char.isdigit() else char or ""))
    elif prefix:
        words.add(prefix)
    elif char is None:
        raise _Wildcard
    else:
        words.add(DIGIT if char.isdigit() else char)


def _walk(items: list, index: int, prefix: str, rest: tuple, words: set[str]) -> None:
    """Follow every path through `items[index:]` and then the continuations in `rest`, extending `prefix`
    with letters until a non-letter ends the first word."""
    if len(prefix) > _MAX_WORD:
        raise _Wildcard
    if index == len(items):
        if rest:
            (next_items, next_index), *others = rest
            _walk(next_items, next_index, prefix, tuple(others), words)
        else:
            _emit(prefix, None, words)
        return
    op, argument = items[index]
    after = ((items, index + 1), *rest)
    if op is _sre.LITERAL:
        _step(items, index, prefix, rest, words, chr(argument))
    elif op is _sre.IN:
        for char in _charset(argument):
            _step(items, index, prefix, rest, words, char)
    elif op is _sre.BRANCH:
        for alternative in argument[1]:
            _walk(list(alternative), 0, prefix, after, words)
    elif op is _sre.SUBPATTERN:
        _walk(list(argument[3]), 0, prefix, after, words)
    elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", None)):
        low, high, body = argument
        if low == 0:
            _walk(items, index + 1, prefix, rest, words)
        if high > 0:
            _walk(list(body), 0, prefix, (*_repeat_tail(body, low, high), *after), words)
    elif op is _sre.ASSERT_NOT and prefix and _forbids_letters(argument):
        words.add(prefix)  # (?![a-z]): the word ends here
    elif op in (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT):
        _walk(items, index + 1, prefix, rest, words)
    else:
        raise _Wildcard


def _step(items: list, index: int, prefix: str, rest: tuple, words: set[str], char: str) -> None:
    """Consume one character: a letter extends the word, a space after a two-word-key word extends the key,
    anything else ends it."""
    if "a" <= char <= "z":
        _walk(items, index + 1, prefix + char, rest, words)
    elif char == " " and prefix in TWO_WORD_KEYS:
        _walk(items, index + 1, prefix + " ", rest, words)
    elif char == " " and prefix.endswith(" "):
        return  # more spaces: the path that skips them covers what follows
    else:
        _emit(prefix, char, words)


def _forbids_letters(argument: tuple) -> bool:
    """A negative lookahead whose first character class contains every letter a-z."""
    direction, body = argument
    if direction != 1:
        return False
    body = list(body)
    if not body:
        return False
    op, value = body[0]
    try:
        chars = set(_charset(value)) if op is _sre.IN else {chr(value)} if op is _sre.LITERAL else set()
    except _Wildcard:
        return False
    return all(chr(code) in chars for code in range(ord("a"), ord("z") + 1))


def _repeat_tail(body: object, low: int, high: int) -> tuple:
    """After one pass through a repeated body: more passes (optional beyond `low`), as continuations."""
    if high <= 1:
        return ()
    remaining_low = max(low - 1, 0)
    remaining_high = high - 1 if high != _sre.MAXREPEAT else high
    return (([(_sre.MAX_REPEAT, (remaining_low, remaining_high, body))], 0),)


def _charset(items: list) -> list[str]:
    chars: list[str] = []
    for op, argument in items:
        if op is _sre.LITERAL:
            chars.append(chr(argument))
        elif op is _sre.RANGE:
            low, high = argument
            if high - low > 80:
                raise _Wildcard
            chars.extend(chr(code) for code in range(low, high + 1))
        elif op is _sre.CATEGORY and argument is _sre.CATEGORY_DIGIT:
            chars.append("0")
        elif op is _sre.CATEGORY and argument is _sre.CATEGORY_SPACE:
            chars.append(" ")
        else:
            raise _Wildcard
    return chars
