"""Chinese text → tokens, for matching. Tokens are stored when a row is saved, never made at report time.

One process-wide ``jieba.Tokenizer`` (not jieba's global one, which other code may tune) carries a
user dictionary built from the chain maps: node names, their key technologies and bottleneck
titles, so "质子交换膜" or "膜电极组件" come out as one token. The dictionary is re-checked at
most every ``CHAINMAP_MATCHING["DICTIONARY_CHECK_SECONDS"]`` (a hash of the term list kept in the
cache), and only the difference is applied to the loaded tokenizer.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import jieba
import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import models

from chainmap.models import Bottleneck, CapabilityProfile, MatchToken, Node, SupplyOffer, TechnologyNeed

logger = logging.getLogger(__name__)
jieba.setLogLevel(logging.WARNING)

_DIGEST_CACHE_KEY = "chainmap:matching:dictionary-digest"
# What jieba can keep in one piece (its own "Han or alphanumeric run" pattern).
_DICTIONARY_TERM = re.compile(r"^[\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]{2,40}$")
# A token worth keeping contains a Chinese character or an ASCII letter (drops numbers, punctuation).
_MEANINGFUL = re.compile(r"[\u4E00-\u9FFFa-z]")
_STOP_WORDS_TEXT = """
    的 了 和 与 及 等 在 对 为 以 或 其 是 有 及其 以及 并 并且 而 但 可 能 将 从 于 由 向 把 被 该 此 这 那
    我们 公司 企业 有限公司 股份有限公司 集团 相关 进行 提供 具有 具备 主要 能力 可以 通过 实现 开展 包括
    方面 领域 各类 多种 一种 一批 用于 基于 应用 其他 以上 以下 年产 万台 万套 国内 国际 领先 先进
    the and of for with in on to a an
"""
STOP_WORDS: frozenset[str] = frozenset(_STOP_WORDS_TEXT.split())


class _State:
    """The loaded tokenizer and which dictionary it carries."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tokenizer: jieba.Tokenizer | None = None
        self.digest: str | None = None
        self.terms: frozenset[str] = frozenset()
        # Frequencies of jieba's own dictionary for the words we override, restored on removal.
        self.original_freq: dict[str, int] = {}


_state = _State()


def user_dictionary_terms() -> list[str]:
    """Node names, key technologies and bottleneck titles that jieba can keep whole, sorted, unique."""
    terms: set[str] = set()
    for name, key_technologies in Node.objects.values_list("name", "key_technologies"):
        terms.add(name.strip())
        terms.update(Node(key_technologies=key_technologies).key_technology_list())
    terms.update(title.strip() for title in Bottleneck.objects.values_list("title", flat=True))
    return sorted(term for term in terms if _DICTIONARY_TERM.match(term))


def _digest(terms: list[str]) -> str:
    return hashlib.sha256("\n".join(terms).encode()).hexdigest()


def invalidate_dictionary() -> None:
    """Make the next ``tokenizer()`` re-read the terms (call after node names or key technologies change)."""
    cache.delete(_DIGEST_CACHE_KEY)


def tokenizer(*, refresh: bool = False) -> jieba.Tokenizer:
    """The process-wide tokenizer, its user dictionary current to within the check interval."""
    with _state.lock:
        if _state.tokenizer is None:
            tok = jieba.Tokenizer()
            tok.initialize()
            _state.tokenizer = tok
        if not refresh and _state.digest is not None and cache.get(_DIGEST_CACHE_KEY) == _state.digest:
            return _state.tokenizer
        terms = user_dictionary_terms()
        digest = _digest(terms)
        cache.set(_DIGEST_CACHE_KEY, digest, settings.CHAINMAP_MATCHING["DICTIONARY_CHECK_SECONDS"])
        if digest != _state.digest:
            _apply_terms(_state.tokenizer, frozenset(terms))
            _state.digest = digest
        return _state.tokenizer


def _apply_terms(tok: jieba.Tokenizer, terms: frozenset[str]) -> None:
    """Add new terms and take back removed ones, without rebuilding jieba's main dictionary."""
    for term in sorted(_state.terms - terms):
        original = _state.original_freq.pop(term, None)
        if original is None:
            tok.del_word(term)
        else:
            tok.add_word(term, freq=original)
    for term in sorted(terms - _state.terms):
        if tok.FREQ.get(term):
            _state.original_freq[term] = tok.FREQ[term]
        # A frequency high enough that the term wins over any split of it.
        tok.add_word(term, freq=max(tok.suggest_freq(term, tune=False), tok.FREQ.get(term) or 0))
    _state.terms = terms
    logger.debug("jieba user dictionary now has %d terms", len(terms))


def tokenize(text: str, *, tok: jieba.Tokenizer | None = None) -> list[str]:
    """Search-mode tokens of ``text``: dictionary terms whole (plus the known words inside), ASCII lower-cased,
    single characters, numbers, punctuation and stop words dropped. Order and repeats are kept (TF)."""
    if not text or not text.strip():
        return []
    tok = tok or tokenizer()
    tokens: list[str] = []
    for raw in tok.cut(text, HMM=True):
        word = raw.strip().lower()
        if len(word) < 2 or not _MEANINGFUL.search(word):
            continue
        if len(word) > 2:
            # Search mode: the known words inside a long word come first, so "质子交换膜国产化" (a
            # bottleneck title in the dictionary) still matches a profile that says "质子交换膜".
            tokens.extend(
                sub
                for sub in tok.cut(word, cut_all=True)
                if 1 < len(sub) < len(word) and sub not in STOP_WORDS and _MEANINGFUL.search(sub)
            )
        if word not in STOP_WORDS:
            tokens.append(word)
    return tokens


def _join(*parts: Any) -> str:
    return "\n".join(str(part) for part in parts if part)


# What each model's tokens are made of: (model, text fields).
_SOURCES: dict[type[models.Model], tuple[str, ...]] = {
    CapabilityProfile: ("products", "core_technologies", "capacity", "certifications"),
    SupplyOffer: ("title", "description"),
    TechnologyNeed: ("title", "description"),
    Bottleneck: ("title", "description"),
}


# Candidates also keep their tokens as term ids (``token_codes``): what matching loads.
_CODED: frozenset[type[models.Model]] = frozenset({CapabilityProfile, SupplyOffer})


def term_ids(terms: Iterable[str]) -> dict[str, int]:
    """Id of each term in ``MatchToken``, adding the new ones. Safe with concurrent savers: the insert skips
    terms another transaction added (ON CONFLICT DO NOTHING), and they are read back."""
    wanted = set(terms)
    if not wanted:
        return {}
    found = dict(MatchToken.objects.filter(text__in=wanted).values_list("text", "pk"))
    missing = wanted.difference(found)
    if missing:
        MatchToken.objects.bulk_create([MatchToken(text=term) for term in sorted(missing)], ignore_conflicts=True)
        found.update(MatchToken.objects.filter(text__in=missing).values_list("text", "pk"))
    return found


def encode_tokens(tokens: Sequence[str], ids: Mapping[str, int]) -> bytes:
    """Tokens as packed little-endian int32 term ids, ascending (repeats kept: they are the counts)."""
    codes = np.fromiter((ids[token] for token in tokens), dtype="<i4", count=len(tokens))
    codes.sort()
    return codes.tobytes()


def decode_tokens(codes: bytes | memoryview | None) -> np.ndarray:
    return np.frombuffer(codes or b"", dtype="<i4")


def _stored(model: type[models.Model], tokens: list[str], ids: Mapping[str, int] | None = None) -> dict[str, Any]:
    """The fields that store ``tokens`` on a row of ``model``."""
    if model not in _CODED:
        return {"tokens": tokens}
    return {"tokens": tokens, "token_codes": encode_tokens(tokens, ids if ids is not None else term_ids(tokens))}


def _refresh(model: type[models.Model], pk: int) -> list[str]:
    fields = _SOURCES[model]
    values = model._default_manager.filter(pk=pk).values_list(*fields).first()
    if values is None:
        return []
    tokens = tokenize(_join(*values))
    # update(): tokens are derived data, so no updated_at bump, no history row, no save() side effects.
    model._default_manager.filter(pk=pk).update(**_stored(model, tokens))
    return tokens


def tokens_refresh_profile(*, profile_id: int) -> list[str]:
    """Store the tokens of a capability profile's products, technologies, capacity and certifications."""
    return _refresh(CapabilityProfile, profile_id)


def tokens_refresh_offer(*, offer_id: int) -> list[str]:
    return _refresh(SupplyOffer, offer_id)


def tokens_refresh_need(*, need_id: int) -> list[str]:
    return _refresh(TechnologyNeed, need_id)


def tokens_refresh_bottleneck(*, bottleneck_id: int) -> list[str]:
    return _refresh(Bottleneck, bottleneck_id)


def _batches(
    model: type[models.Model], *, only_missing: bool, batch_size: int, extra: tuple[str, ...] = ()
) -> Iterator[list[tuple[Any, ...]]]:
    """Rows in primary-key order, by keyset pagination (rows whose text is empty stay empty: no loop)."""
    queryset = model._default_manager.order_by("pk")
    if only_missing:
        missing = models.Q(tokens=[])
        if model in _CODED:
            missing |= models.Q(token_codes__isnull=True)
        queryset = queryset.filter(missing)
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).values_list("pk", *_SOURCES[model], *extra)[:batch_size])
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def tokens_fill_missing(*, batch_size: int = 2000, everything: bool = False) -> int:
    """Tokenize every profile, offer, need and bottleneck whose tokens are empty (all rows with
    ``everything``), and encode the stored tokens of candidates that have no token codes yet, in
    batches of ``bulk_update``. Returns how many rows got non-empty tokens."""
    tok = tokenizer(refresh=True)
    filled = 0
    for model in _SOURCES:
        coded = model in _CODED
        fields = ["tokens", "token_codes"] if coded else ["tokens"]
        for rows in _batches(model, only_missing=not everything, batch_size=batch_size, extra=("tokens",)):
            made: list[tuple[int, list[str]]] = []
            for pk, *values, stored in rows:
                if stored and not everything:
                    made.append((pk, list(stored)))  # tokens kept: only their codes were missing
                    continue
                tokens = tokenize(_join(*values), tok=tok)
                made.append((pk, tokens))
                filled += bool(tokens)
            ids = term_ids(token for _pk, tokens in made for token in tokens) if coded else None
            objs = [model(pk=pk, **_stored(model, tokens, ids)) for pk, tokens in made]
            model._default_manager.bulk_update(objs, fields, batch_size=batch_size)
    return filled
