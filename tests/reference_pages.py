"""Readers of the appendix pages, for tests/test_reference_pages.py.

The glossary (``appendix/glossary.md``) is the one source of the course's English–Chinese terms.
Each entry of its ``{glossary}`` directive is one or more English term lines (the term and its
aliases, each a target of ``{term}``), then an indented definition whose first line starts with
the Chinese term in bold, optionally followed by its accepted variants::

    perceptron
      **感知机** (also 感知器). A single neuron with a step activation ...

A chapter *uses* a term's Chinese form where it writes the English term (bold, or as a
``{term}`` link) followed by a Chinese gloss, in one of three shapes:

* ``**neuron** (神经元)`` or ``**{term}`neuron`** (神经元)`` — the gloss in parentheses right after;
* ``(**epochs**, 轮次)`` — term and gloss together in parentheses;
* an item of a chapter's "Key terms" list, ``neuron 神经元 · input 输入 · ...``; without a
  ``{term}`` link, the item's English is the longest run of leading words that names a glossary
  term and is followed by its Chinese (or by an aside in parentheses).

The first part of the gloss that contains Chinese (parts are separated by , ; / and
parentheses) must be the glossary's Chinese term or one of its variants.
"""
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
TERM_ROLE = re.compile(r"\{term\}`(?P<body>[^`]+)`")
ROLE_BODY = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
HEAD = re.compile(r"^\*\*(?P<zh>[^*]+)\*\*(?:\s*\(also (?P<variants>[^)]*)\))?")


@dataclass
class Entry:
    terms: list                      # the English term lines: the term, then its aliases
    zh: str                          # the Chinese term
    variants: list = field(default_factory=list)
    definition: str = ""

    @property
    def forms(self):
        return [self.zh, *self.variants]


def normalise(text):
    return re.sub(r"\s+", " ", text).strip()


def glossary_block(text):
    """The body of the ``{glossary}`` directive of a MyST page."""
    m = re.search(r"^(`{3,}|:{3,})\{glossary\}[^\n]*\n(?P<body>.*?)^\1\s*$", text, re.M | re.S)
    if not m:
        raise ValueError("no ```{glossary} directive found")
    return m.group("body")


def parse_glossary(text):
    """``{english term, lowercased: Entry}`` for every term line of the glossary directive."""
    entries, terms, definition = [], [], []

    def close():
        if terms:
            head = HEAD.match(definition[0].strip()) if definition else None
            if not head:
                raise ValueError(f"glossary entry {terms} does not start with **中文**")
            variants = [normalise(v) for v in re.split(r"[,，]", head.group("variants") or "") if v.strip()]
            entries.append(Entry(list(terms), normalise(head.group("zh")), variants,
                                 "\n".join(line.strip() for line in definition)))
        terms.clear()
        definition.clear()

    for line in glossary_block(text).splitlines():
        if not line.strip():
            if definition:
                definition.append("")
            continue
        if line.startswith(":"):          # a directive option, such as :sorted:
            continue
        if line[0] in " \t":
            definition.append(line)
        else:
            if definition:
                close()
            terms.append(normalise(line))
    close()
    table = {}
    for entry in entries:
        for term in entry.terms:
            if term.lower() in table:
                raise ValueError(f"the glossary defines {term!r} twice")
            table[term.lower()] = entry
    return table


def lookup(glossary, english):
    """The entry for an English term as a chapter writes it: any case, singular or plural."""
    word = normalise(english).lower()
    for candidate in (word, word[:-1] if word.endswith("s") else None,
                      word[:-2] if word.endswith("es") else None):
        if candidate and candidate in glossary:
            return glossary[candidate]
    return None


def role_target(body):
    m = ROLE_BODY.match(body)
    return normalise(m.group("target") if m else body)


def first_chinese_part(gloss):
    for part in re.split(r"[,;:，；：、/()（）]", gloss):
        if CJK.search(part):
            return normalise(part.strip(" .。:：*"))
    return None


# A term as written: bold text, a {term} role, or a {term} role in bold.
_TERM = r"(?:\*\*(?:\{term\}`[^`]+`|[^*\n]+?)\*\*|\{term\}`[^`]+`)"
_AFTER = re.compile(r"(?P<term>" + _TERM + r")\s*[(（](?P<gloss>[^()（）]*)[)）]")
_INSIDE = re.compile(r"[(（]\s*(?P<term>" + _TERM + r")\s*[,，]\s*(?P<gloss>[^()（）]*)[)）]")


def _english(term_markup):
    role = TERM_ROLE.search(term_markup)
    if role:
        return role_target(role.group("body")), True
    return normalise(term_markup.strip("*")), False


def _key_term_items(text):
    """The items of every "Key terms" list in the text."""
    for m in re.finditer(r"(?:^#+ Key terms[^\n]*\n+|\*\*Key terms[^*]*\*\*)(?P<list>.*?)(?:\n\s*\n|\Z)",
                         text, re.M | re.S):
        for item in m.group("list").split("·"):
            if item.strip():
                yield normalise(item)


def uses(text, glossary):
    """Every (english, chinese_gloss, is_link) that the markdown text writes.

    A key-term item without a ``{term}`` link ("hidden layer 隐藏层") is split where its
    longest leading run of words that the glossary knows ends.
    """
    found = []
    for pattern in (_AFTER, _INSIDE):
        for m in pattern.finditer(text):
            english, link = _english(m.group("term"))
            found.append((english, m.group("gloss"), link))
    for item in _key_term_items(text):
        role = TERM_ROLE.search(item)
        if role:
            found.append((role_target(role.group("body")), item[role.end():], True))
            continue
        tokens = item.split(" ")
        chinese = next((i for i, token in enumerate(tokens) if CJK.search(token)), len(tokens))
        for k in range(chinese, 0, -1):
            entry = lookup(glossary, " ".join(tokens[:k]))
            if entry is None:
                continue
            between = " ".join(tokens[k:chinese])
            # "kernel (weight matrix) 权重矩阵" and "sigmoid S 型函数" name the entry; "bias correction
            # 偏差修正" names another term, which starts with this one.
            if not between or between[0] in "(（" or any(f.startswith(between) for f in entry.forms):
                found.append((" ".join(tokens[:k]), " ".join(tokens[k:]), False))
            break
    return found


def check_text(text, glossary, where=""):
    """Problems in one markdown text: unknown {term} targets and Chinese forms that differ."""
    problems = []
    for m in TERM_ROLE.finditer(text):
        target = role_target(m.group("body"))
        if target.lower() not in glossary:
            problems.append(f"{where}: {{term}} links {target!r}, which the glossary does not define")
    checked = set()
    for english, gloss, link in uses(text, glossary):
        entry = glossary.get(english.lower()) if link else lookup(glossary, english)
        zh = first_chinese_part(gloss)
        if entry is None or zh is None or (english, zh) in checked:
            continue
        checked.add((english, zh))
        if zh not in entry.forms:
            problems.append(f"{where}: {english!r} is glossed {zh!r}, but the glossary has "
                            f"{entry.zh!r}" + (f" (or {', '.join(entry.variants)})" if entry.variants else ""))
    return problems


def markdown_of(notebook):
    """The markdown cells of a notebook, joined with blank lines."""
    nb = nbformat.read(notebook, as_version=4)
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def check_notebook(notebook, glossary):
    return check_text(markdown_of(notebook), glossary, where=Path(notebook).name)


# ---- errata and FAQ ---------------------------------------------------------------------------

ERRATUM_PARTS = ("Source", "Original", "What is wrong", "Correction", "Taught in")


def sections(text, label_prefix):
    """``{number: body}`` of the sections that follow a ``(label_prefix-N)=`` target."""
    pattern = re.compile(r"^\(" + re.escape(label_prefix) + r"-(?P<n>[0-9a-z-]+)\)=\s*$", re.M)
    marks = list(pattern.finditer(text))
    found = {}
    for mark, following in zip(marks, marks[1:] + [None]):
        end = following.start() if following else len(text)
        found[mark.group("n")] = text[mark.end():end]
    return found


def erratum_parts(body):
    """``{part name: text}`` for the bold-labelled parts of one erratum."""
    labels = "|".join(re.escape(p) for p in ERRATUM_PARTS)
    marks = list(re.finditer(r"^\*\*(?P<name>" + labels + r")\.\*\*", body, re.M))
    return {m.group("name"): body[m.end():(marks[i + 1].start() if i + 1 < len(marks) else len(body))].strip()
            for i, m in enumerate(marks)}


def quotations(original):
    """The quoted source text of an erratum: every “…” in its Original part."""
    return re.findall(r"“([^”]+)”", original)
