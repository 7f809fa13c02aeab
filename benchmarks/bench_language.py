"""How well each way of telling a query's language does on real short labels, English and French.

    python benchmarks/bench_language.py

Labels that exist in both languages, from the reference data in ../shared/data: ESCO occupation
labels (label_en / label_fr), NAICS Canada 2022 English titles and the French SCIAN titles of the
Québec concordance, WIPO IPC subclass titles (written in capitals, so also lower-cased), and the
relevance benchmark's hand-written queries (benchmarks/relevance/sample_queries.tsv). A label is
short at two to four words (the queries: at most four). Methods:

- `query (before)`: the query detector of the previous release, lingua's odds with the words'
  votes (stop words, glossary, accents, elisions) and the lean of words joined without a French
  function word, without the words' frequencies;
- `profile`: `detect_language`, the detector of profiles' passages (left as it is);
- `langdetect`: langdetect alone, the more probable of English and French;
- `lingua`: lingua alone, restricted to English and French;
- `query (shipped)`: `detect_query_language`: the same, plus each word's frequency in English
  against French text (wordfreq).

Prints and records (section `language` of benchmarks/RESULTS.md) the share right per source,
language and method, the mean time per call, and each detector's load time and resident memory,
each measured in a new process.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _machine import describe, update_results

from ngen_connect.language import (
    UNDETERMINED,
    _odds,
    detect_language,
    detect_query_language,
    lingua_confidences,
    query_lean,
    word_frequency_lean,
)
from ngen_connect.text import query_form

DATA = HERE.parents[1] / "shared" / "data"
LANGUAGES = ("en", "fr")
Detector = Callable[[str], str]


def _rows(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def sources() -> dict[str, dict[str, list[str]]]:
    """Source -> language -> its labels (distinct, in file order)."""
    esco = _rows(DATA / "esco" / "esco_occupations_en_fr.csv")
    naics = _rows(DATA / "naics" / "naics2022_en_x_scian_fr_partial.csv")
    ipc = _rows(DATA / "ipc" / "ipc_subclasses_en_fr.csv")
    queries = _rows(HERE / "relevance" / "sample_queries.tsv", "\t")
    found = {
        "ESCO occupations": ([r["label_en"] for r in esco], [r["label_fr"] for r in esco]),
        "NAICS / SCIAN titles": (
            [r["title_en_naics2022"] for r in naics],
            [r["title_fr_from_cae2scian"] for r in naics],
        ),
        "IPC subclasses (capitals)": ([r["title_en"] for r in ipc], [r["title_fr"] for r in ipc]),
        "IPC subclasses (lower case)": (
            [r["title_en"].lower() for r in ipc],
            [r["title_fr"].lower() for r in ipc],
        ),
        "relevance queries": ([r["query_en"] for r in queries], [r["query_fr"] for r in queries]),
    }
    return {
        name: {
            language: list(dict.fromkeys(t.strip() for t in texts if t.strip()))
            for language, texts in zip(LANGUAGES, pair, strict=True)
        }
        for name, pair in found.items()
    }


def is_short(source: str, text: str) -> bool:
    words = len(text.split())
    return words <= 4 if source == "relevance queries" else 2 <= words <= 4


def before(text: str) -> str:
    """The query detector of the previous release: `detect_query_language` without the words'
    frequencies."""
    text = query_form(text)
    lean = query_lean(text)
    if lean:
        lean -= word_frequency_lean(text)
    return UNDETERMINED if lean == 0 else "en" if lean > 0 else "fr"


def langdetect(text: str) -> str:
    odds = {lang: p for lang, p in _odds(text).items() if lang in LANGUAGES}
    return max(odds, key=lambda lang: odds[lang]) if odds else UNDETERMINED


def lingua(text: str) -> str:
    english, french = lingua_confidences(text)
    return "en" if english > french else "fr" if french > english else UNDETERMINED


METHODS: dict[str, Detector] = {
    "query (before)": before,
    "profile": detect_language,
    "langdetect": langdetect,
    "lingua": lingua,
    "query (shipped)": detect_query_language,
}
#: what loading each method's detector means, run in a new process
LOADS = {
    "langdetect": "from ngen_connect.language import _odds; _odds('soudage robotisé')",
    "lingua": "from ngen_connect.language import lingua_confidences; "
    "lingua_confidences('soudage robotisé')",
    "wordfreq": "from ngen_connect.language import word_frequency_lean; "
    "word_frequency_lean('soudage robotisé')",
}


def load_cost(code: str) -> tuple[float, float]:
    """(seconds, MiB of resident memory) that `code` adds to a process that has imported the
    package, in a new process."""
    probe = (
        "import json, time\n"
        "import ngen_connect.language\n"
        "def rss():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmRSS:'):\n"
        "            return int(line.split()[1]) / 1024\n"
        "before, started = rss(), time.perf_counter()\n"
        f"{code}\n"
        "print(json.dumps([time.perf_counter() - started, rss() - before]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    seconds, mib = json.loads(out)
    return float(seconds), float(mib)


def main() -> None:
    labels = sources()
    for detect in METHODS.values():
        detect("warm up")  # models loaded before anything is timed
    right: dict[tuple[str, str, str, str], tuple[int, int]] = {}
    seconds: dict[str, float] = {name: 0.0 for name in METHODS}
    calls = 0
    for source, by_language in labels.items():
        for language, texts in by_language.items():
            calls += len(texts)
            for name, detect in METHODS.items():
                started = time.perf_counter()
                found = [detect(text) for text in texts]
                seconds[name] += time.perf_counter() - started
                short = [g for t, g in zip(texts, found, strict=True) if is_short(source, t)]
                right[(source, language, name, "short")] = (
                    sum(g == language for g in short),
                    len(short),
                )
                right[(source, language, name, "all")] = (
                    sum(g == language for g in found),
                    len(found),
                )
            print(source, language, len(texts), flush=True)
    loads = {name: load_cost(code) for name, code in LOADS.items()}
    lines = report(labels, right, {n: s / calls * 1000 for n, s in seconds.items()}, loads)
    update_results("language", "\n".join(lines))
    print("\n".join(lines))


def report(
    labels: dict[str, dict[str, list[str]]],
    right: dict[tuple[str, str, str, str], tuple[int, int]],
    per_call_ms: dict[str, float],
    loads: dict[str, tuple[float, float]],
) -> list[str]:
    machine = describe()
    names = list(METHODS)
    lines = [
        "## Query language",
        "",
        f"`python benchmarks/bench_language.py` on {machine['date']} ({machine['cpu']}, "
        f"{machine['cores']} cores): the share of labels each method puts in their own language "
        "(`und` counts as wrong), on short labels (two to four words; relevance queries: at most "
        "four) and on all. Sources: ESCO occupation labels, NAICS Canada 2022 English titles and "
        "the French SCIAN titles of the Québec concordance, WIPO IPC subclass titles as written "
        "(capitals) and lower-cased, the relevance benchmark's hand-written queries. Methods: "
        "`query (before)`: the previous release's query detector (lingua's odds with the words' "
        "votes and the lean of words joined without a French function word, `UNLINKED`); "
        "`profile`: the detector of profiles' passages; `langdetect` and `lingua` (English and "
        "French only) alone; `query (shipped)`: `detect_query_language`, the same plus each "
        "word's frequency in English against French text (wordfreq, `word_frequency_lean`).",
        "",
        "| source | language | labels (short / all) | " + " | ".join(names) + " |",
        "|---|---|---:|" + "---:|" * len(names),
    ]
    for source, by_language in labels.items():
        for language in by_language:
            short = right[(source, language, names[0], "short")][1]
            cells = []
            for name in names:
                hit_s, n_s = right[(source, language, name, "short")]
                hit_a, n_a = right[(source, language, name, "all")]
                share = f"{hit_s / n_s:.3f}" if n_s else "-"
                cells.append(f"{share} / {hit_a / max(n_a, 1):.3f}")
            lines.append(
                f"| {source} | {language} | {short} / {len(by_language[language])} | "
                + " | ".join(cells)
                + " |"
            )
    lines += [
        "",
        "Cells: short / all. Mean time per call over every label (ms): "
        + ", ".join(f"{name} {ms:.3f}" for name, ms in per_call_ms.items())
        + ". Loading, in a new process that has imported the package: "
        + ", ".join(
            f"{name} {seconds:.2f} s and {mib:.0f} MiB resident"
            for name, (seconds, mib) in loads.items()
        )
        + " (lingua: its English and French models only; wordfreq: its English and French "
        "word lists).",
    ]
    return lines


if __name__ == "__main__":
    main()
