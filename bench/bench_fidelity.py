"""Fidelity benchmark: inject damage by code into clean bilingual articles, measure what
the editorial checks find. A script, not a timed test:

    .venv/bin/python bench/bench_fidelity.py [--trials 3] [--seed 13]

Data: the 28 clean articles of tests/corpus/clean/ and the 1:1 articles of the three
corpus issues, split by article into two halves (alternating, in file order). Half A is
the half the thresholds were looked at against while developing; half B was not looked at
(held out): both are printed. For every article and kind, `--trials` damaged copies
are made (seeded); each copy is checked inside its half (the issue-wide length model is
estimated with the damaged article in it, as an import would).

Per kind: recall (the damage is reported where it was made), false alarms (findings
elsewhere in the damaged article, per 100 of its clean paragraph pairs), and pairing
outcomes: right (the pairing written without a flag is the true one), flagged (an
`align-…` error asks for a human) and silently wrong (a wrong pairing written without a
flag). The clean row is the undamaged half: false alarms per 100 clean paragraph pairs.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from renderer.editorial import align  # noqa: E402
from renderer.editorial.importer.split import split_articles  # noqa: E402
from renderer.editorial.lint import ArticleText, TextLine, check_article, issue_context  # noqa: E402
from renderer.load.article import load_article  # noqa: E402
from renderer.model import Alignment  # noqa: E402

CORPUS = ROOT / "tests" / "corpus"


def corpus_articles() -> list[ArticleText]:
    paths = sorted((CORPUS / "clean").glob("c*.md"))
    for issue in sorted((CORPUS / "issues").iterdir()):
        paths += sorted((issue / "articles").glob("*.md"))
    articles = []
    for path in paths:
        article = load_article(path, path.parent.parent)
        if article.alignment is not None:
            continue  # only strictly 1:1 articles are gold here
        articles.append(ArticleText(
            file=path.name, title_en=TextLine(article.title.en, 1),
            title_zh=TextLine(article.title.zh, 2),
            en=[TextLine(p.text, p.line) for p in article.en],
            zh=[TextLine(p.text, p.line) for p in article.zh]))
    return articles


# --- damage ----------------------------------------------------------------------------

@dataclasses.dataclass
class Case:
    article: ArticleText
    gold: tuple[Alignment, ...]
    target: dict  # what must be reported: {"row": n} / {"para": ("en", n), "text": ...}


def _replace(article: ArticleText, language: str, paragraphs: list[str]) -> ArticleText:
    lines = [TextLine(t, 10 + i) for i, t in enumerate(paragraphs)]
    return dataclasses.replace(article, **{language: lines})


def _texts(article: ArticleText, language: str) -> list[str]:
    return [p.text for p in getattr(article, language)]


def one_to_one(n: int) -> tuple[Alignment, ...]:
    return tuple(Alignment(en=(i,), zh=(i,)) for i in range(1, n + 1))


def cut(article, rng, language):
    texts = _texts(article, language)
    k = rng.randrange(len(texts))
    text = texts[k]
    point = rng.randint(int(len(text) * 0.3), int(len(text) * 0.9))
    texts[k] = text[:point].rstrip()
    return Case(_replace(article, language, texts), one_to_one(len(texts)),
                {"row": k + 1, "code": "truncated"})


def drop(article, rng, language):
    texts = _texts(article, language)
    k = rng.randrange(len(texts))
    del texts[k]
    rows = []
    for i in range(1, len(texts) + 2):
        if i - 1 < k:
            rows.append(Alignment(en=(i,), zh=(i,)))
        elif i - 1 == k:
            rows.append(Alignment(en=(i,), zh=()) if language == "zh"
                        else Alignment(en=(), zh=(i,)))
        else:
            rows.append(Alignment(en=(i,), zh=(i - 1,)) if language == "zh"
                        else Alignment(en=(i - 1,), zh=(i,)))
    return Case(_replace(article, language, texts), tuple(rows), {"pairing": True})


def _group_rows(n: int, k: int, language: str) -> tuple[Alignment, ...]:
    """Paragraphs k and k+1 (0-based) of the other language share one paragraph of `language`."""
    rows = []
    i = 0
    while i < n:
        if i == k:
            pair = (i + 1, i + 2)
            rows.append(Alignment(en=pair, zh=(i + 1,)) if language == "zh"
                        else Alignment(en=(i + 1,), zh=pair))
            i += 2
            continue
        j = i + 1 if i < k else i
        rows.append(Alignment(en=(i + 1,), zh=(j,)) if language == "zh"
                    else Alignment(en=(j,), zh=(i + 1,)))
        i += 1
    return tuple(rows)


def merge(article, rng, language):
    texts = _texts(article, language)
    k = rng.randrange(len(texts) - 1)
    glue = "" if language == "zh" else " "
    texts[k:k + 2] = [texts[k] + glue + texts[k + 1]]
    return Case(_replace(article, language, texts), _group_rows(len(texts) + 1, k, language),
                {"pairing": True})


SENTENCE_END = {"en": re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"])"), "zh": re.compile(r"(?<=[。！？])")}


def split(article, rng, language):
    texts = _texts(article, language)
    order = list(range(len(texts)))
    rng.shuffle(order)
    for k in order:
        cuts = [m.end() for m in SENTENCE_END[language].finditer(texts[k])
                if 0 < m.end() < len(texts[k])]
        if cuts:
            at = rng.choice(cuts)
            texts[k:k + 1] = [texts[k][:at].rstrip(), texts[k][at:].lstrip()]
            n = len(texts) - 1
            rows = []
            for i in range(n):
                if i == k:
                    rows.append(Alignment(en=(i + 1,), zh=(i + 1, i + 2)) if language == "zh"
                                else Alignment(en=(i + 1, i + 2), zh=(i + 1,)))
                else:
                    j = i + 1 if i < k else i + 2
                    rows.append(Alignment(en=(i + 1,), zh=(j,)) if language == "zh"
                                else Alignment(en=(j,), zh=(i + 1,)))
            return Case(_replace(article, language, texts), tuple(rows), {"pairing": True})
    return None


WORD = re.compile(r"\b[A-Za-z]{4,}\b")


def _en_word_damage(article, rng, pick, damage):
    texts = _texts(article, "en")
    spots = [(k, m) for k, t in enumerate(texts) for m in WORD.finditer(t) if pick(m.group())]
    if not spots:
        return None
    k, m = rng.choice(spots)
    new = damage(m.group())
    texts[k] = texts[k][:m.start()] + new + texts[k][m.end():]
    return Case(_replace(article, "en", texts), one_to_one(len(texts)),
                {"para": ("en", k + 1), "text": new, "code": "damaged"})


def ligature(article, rng):
    def damage(word):
        m = re.search("ffi|ffl|ff|fi|fl", word)
        lig = m.group()
        if rng.random() < 0.5 or m.end() == len(word):  # e ffi cient
            return (word[:m.start()] + (" " if m.start() else "") + lig
                    + (" " if m.end() < len(word) else "") + word[m.end():])
        return word[:m.start()] + lig[:-1] + " " + word[m.end():]  # signif cant
    return _en_word_damage(article, rng, lambda w: re.search("ff|fi|fl", w[:-1] or "x"), damage)


def question(article, rng):
    def damage(word):
        i = rng.randrange(len(word))
        return word[:i] + "?" + word[i + 1:]
    return _en_word_damage(article, rng, lambda w: True, damage)


def l_for_i(article, rng):
    return _en_word_damage(article, rng, lambda w: w.startswith("I"), lambda w: "l" + w[1:])


def transpose(article, rng):
    def damage(word):
        # two different letters: swapping the o's of "school" damages nothing
        i = rng.choice([i for i in range(1, len(word) - 2) if word[i] != word[i + 1]])
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return _en_word_damage(article, rng, lambda w: len(w) >= 5 and len(set(w)) > 3, damage)


def glue(article, rng):
    texts = _texts(article, "en")
    spots = [(k, m) for k, t in enumerate(texts)
             for m in re.finditer(r"(?<=[A-Za-z,;:”\"])( )(?=[A-Za-z“\"])", t)]
    k, m = rng.choice(spots)
    text = texts[k]
    texts[k] = text[:m.start()] + text[m.end():]
    left = re.search(r"\S+$", text[:m.start()]).group()
    right = re.match(r"\S+", text[m.end():]).group()
    return Case(_replace(article, "en", texts), one_to_one(len(texts)),
                {"para": ("en", k + 1), "text": (left + right).strip(".,;:"), "code": "damaged"})


def traditional(article, rng):
    import opencc

    s2t = opencc.OpenCC("s2t")
    texts = _texts(article, "zh")
    spots = [(k, i) for k, t in enumerate(texts) for i, ch in enumerate(t)
             if s2t.convert(ch) != ch]
    k, i = rng.choice(spots)
    texts[k] = texts[k][:i] + s2t.convert(texts[k][i]) + texts[k][i + 1:]
    return Case(_replace(article, "zh", texts), one_to_one(len(texts)),
                {"para": ("zh", k + 1), "code": "unclean"})


KINDS = {
    "cut tail (en)": lambda a, r: cut(a, r, "en"),
    "cut tail (zh)": lambda a, r: cut(a, r, "zh"),
    "drop para (en)": lambda a, r: drop(a, r, "en"),
    "drop para (zh)": lambda a, r: drop(a, r, "zh"),
    "merge paras (en)": lambda a, r: merge(a, r, "en"),
    "merge paras (zh)": lambda a, r: merge(a, r, "zh"),
    "split para (en)": lambda a, r: split(a, r, "en"),
    "split para (zh)": lambda a, r: split(a, r, "zh"),
    "split ligature": ligature,
    "? for a letter": question,
    "l for I": l_for_i,
    "transposed letters": transpose,
    "glued words": glue,
    "traditional char": traditional,
}
ENGLISH_DAMAGE = {"split ligature", "? for a letter", "l for I", "transposed letters",
                  "glued words"}


# --- running the checks ------------------------------------------------------------------

def imported(article: ArticleText, context) -> tuple[ArticleText, list]:
    """What import does: align, write `align:` unless 1:1, then the checks."""
    en, zh = _texts(article, "en"), _texts(article, "zh")
    aligned = align.align_with_confidence(en, zh, context.model)
    rows = aligned.rows
    if align.is_one_to_one(rows) and len(en) == len(zh):
        rows = None
    article = dataclasses.replace(article, alignment=rows, aligned=aligned)
    return article, [f for f in check_article(article, context) if f.needs_human]


def pairing_outcome(article: ArticleText, findings, gold) -> str:
    flagged = any(f.code.startswith("align-") for f in findings)
    if flagged:
        return "flagged"
    written = article.alignment or one_to_one(len(article.en))
    return "right" if tuple(written) == tuple(gold) else "silently wrong"


def _hit(finding, target) -> bool:
    if "row" in target:
        return finding.code == f"pair-{target['row']}-truncated"
    if "para" in target:
        language, n = target["para"]
        if finding.code != f"para-{language}-{n}-{target['code']}":
            return False
        if "text" in target:
            return any(target["text"] in d["text"] or d["text"] in target["text"]
                       for d in finding.evidence.get("damage", []))
        return True
    return False


def structure_trials(half: list[ArticleText], rng) -> tuple[int, int]:
    """Bylines, photo captions, datelines and a caption under the title inserted into a raw
    dump of the half: right when the split gives the same articles with the same titles."""
    inserts_en = ["By Staff Reporter Li Na", "Photo: delegates at the opening ceremony",
                  "Harbin, May 18", "A caption line under the title"]
    inserts_zh = ["文/本刊记者 王晓明", "① 代表团参观展馆", "哈尔滨，5月18日", "图：开幕式现场"]
    right = total = 0
    for article in half:
        for trial in range(2):
            lines = []
            for other in half:
                en = [other.title_en.text] + _texts(other, "en")
                zh = [other.title_zh.text] + _texts(other, "zh")
                if other is article:
                    en.insert(1, rng.choice(inserts_en))
                    zh.insert(1 if trial else rng.randint(1, len(zh)), rng.choice(inserts_zh))
                lines += en + zh
            split_ = split_articles("\n".join(lines))
            titles = [(a.en.title.text if a.en and a.en.title else None,
                       a.zh.title.text if a.zh and a.zh.title else None) for a in split_]
            total += 1
            right += titles == [(a.title_en.text, a.title_zh.text) for a in half]
    return right, total


def _dump(half: list[ArticleText], replaced: dict[int, ArticleText] | None = None) -> str:
    lines = []
    for index, article in enumerate(half):
        article = (replaced or {}).get(index, article)
        lines += [article.title_en.text, *_texts(article, "en"), article.title_zh.text,
                  *_texts(article, "zh")]
    return "\n".join(lines)


def _split_shape(text: str) -> list[tuple]:
    return [(a.en.title.text if a.en and a.en.title else None,
             a.zh.title.text if a.zh and a.zh.title else None,
             len(a.en.body) if a.en else 0, len(a.zh.body) if a.zh else 0)
            for a in split_articles(text)]


def cut_in_dump_trials(half: list[ArticleText], trials: int, rng) -> tuple[int, int]:
    """A tail cut (as `cut`) inside the raw dump import reads: right when the split still
    gives every article its title and its paragraphs (a cut line has no full stop, like a
    title, and must not start an article)."""
    right = total = 0
    expected = [(a.title_en.text, a.title_zh.text, len(a.en), len(a.zh)) for a in half]
    for index, article in enumerate(half):
        for _ in range(trials):
            for language in ("en", "zh"):
                case = cut(article, rng, language)
                total += 1
                right += _split_shape(_dump(half, {index: case.article})) == expected
    return right, total


def run_half(name: str, half: list[ArticleText], trials: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    context = issue_context(half)
    pairs = sum(len(a.en) for a in half)
    clean_alarms = 0
    clean_outcomes: Counter = Counter()
    for article in half:
        checked, findings = imported(article, context)
        clean_alarms += len(findings)
        clean_outcomes[pairing_outcome(checked, findings, one_to_one(len(article.en)))] += 1
    rows = [f"half {name}: {len(half)} articles, {pairs} clean paragraph pairs",
            f"{'kind':<20} {'cases':>5} {'recall':>7} {'false/100':>9} "
            f"{'right':>6} {'flagged':>7} {'silently wrong':>14}",
            f"{'(clean)':<20} {len(half):>5} {'-':>7} {100 * clean_alarms / pairs:>9.2f} "
            f"{clean_outcomes['right']:>6} {clean_outcomes['flagged']:>7} "
            f"{clean_outcomes['silently wrong']:>14}"]
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for kind, make in KINDS.items():
        found = cases = alarms = clean_pairs = 0
        outcomes: Counter = Counter()
        for article in half:
            for _ in range(trials):
                case = make(article, rng)
                if case is None:
                    continue
                others = [a for a in half if a is not article] + [case.article]
                local = issue_context(others)
                checked, findings = imported(case.article, local)
                outcomes[pairing_outcome(checked, findings, case.gold)] += 1
                cases += 1
                clean_pairs += len(article.en)
                if "pairing" in case.target:
                    hit = [f for f in findings if f.code.startswith("align-")
                           or f.code.endswith("-untranslated")]
                    found += bool(hit) or (checked.alignment is not None
                                           and tuple(checked.alignment) == case.gold)
                    alarms += len([f for f in findings if f not in hit
                                   and not f.code.endswith("-truncated")])
                    continue
                hits = [f for f in findings if _hit(f, case.target)]
                found += bool(hits)
                alarms += len([f for f in findings if f not in hits])
        group = ("truncation" if kind.startswith("cut") else
                 "english damage" if kind in ENGLISH_DAMAGE else None)
        if group:
            totals[group][0] += found
            totals[group][1] += cases
        rows.append(f"{kind:<20} {cases:>5} {100 * found / max(cases, 1):>6.1f}% "
                    f"{100 * alarms / max(clean_pairs, 1):>9.2f} {outcomes['right']:>6} "
                    f"{outcomes['flagged']:>7} {outcomes['silently wrong']:>14}")
    right, total = structure_trials(half, rng)
    rows.append(f"{'byline/caption line':<20} {total:>5} {100 * right / max(total, 1):>6.1f}% "
                f"{'-':>9} {right:>6} {'-':>7} {total - right:>14}")
    right, total = cut_in_dump_trials(half, trials, rng)
    rows.append(f"{'cut line in the dump':<20} {total:>5} {100 * right / max(total, 1):>6.1f}% "
                f"{'-':>9} {right:>6} {'-':>7} {total - right:>14}")
    for group, (found, cases) in totals.items():
        rows.append(f"  {group} recall: {found}/{cases} = {100 * found / max(cases, 1):.1f}%")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--half", choices=["A", "B"], default=None,
                        help="Run one half only (default: both).")
    args = parser.parse_args()
    articles = corpus_articles()
    halves = {"A (looked at)": articles[0::2], "B (held out)": articles[1::2]}
    for index, (name, half) in enumerate(halves.items()):
        if args.half and not name.startswith(args.half):
            continue
        print("\n".join(run_half(name, half, args.trials, args.seed + index)))
        print()


if __name__ == "__main__":
    main()
