"""The documents point at what exists: every `simulation/`, `agents/` and `experiments/` path
cited in docs/*.md and README.md is in the repository, and every figure README.md shows
links to a docs page that shows it (the page with the command that reproduces it)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
CITED = re.compile(r"(?<![\w./-])((?:simulation|agents|experiments)/[\w.*/-]*)")
NUMBER = r"\d(?:[\d,.]*\d)?"
FIGURE = re.compile(rf"({NUMBER}(?:\s?[–-]\s?{NUMBER})?)\s?(?:%|×|kWh|MWh|kW|MW|CNY|GB|MB"
                    rf"|s\b|times\b)")
DOCS_LINK = re.compile(r"\]\((docs/[\w./-]+\.md)(?:#[\w-]+)?\)")


def exists(cited: str, root: Path = ROOT) -> bool:
    """A cited path is a file or folder, a glob that matches one, or `module.name` where the
    module file defines `name`."""
    path = cited.rstrip(".,;:)").removesuffix("**").rstrip(".")
    if "*" in path:
        return any(root.glob(path))
    if (root / path).exists():
        return True
    folder, _, last = path.rpartition("/")
    module, _, name = last.partition(".")
    source = root / folder / f"{module}.py"
    return bool(name) and source.is_file() and re.search(
        rf"^(?:def |class |){re.escape(name)}\b", source.read_text(), re.M) is not None


def missing_paths(documents=DOCUMENTS, root: Path = ROOT) -> list[str]:
    out = []
    for doc in documents:
        for number, line in enumerate(doc.read_text().splitlines(), 1):
            out += [f"{doc.name}:{number}: {m}" for m in CITED.findall(line)
                    if not exists(m, root)]
    return out


def prose_paragraphs(text: str) -> list[list[tuple[int, str]]]:
    """The numbered lines of each paragraph outside fenced code blocks."""
    paragraphs, current, fenced = [], [], False
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced or not line.strip():
            if current:
                paragraphs.append(current)
            current = []
            continue
        current.append((number, line))
    return paragraphs + ([current] if current else [])


def unlinked_figures(readme: Path, root: Path = ROOT) -> list[str]:
    """README lines with a figure (a number with a unit) whose paragraph links no docs page
    that shows the same number."""
    out = []
    for paragraph in prose_paragraphs(readme.read_text()):
        pages = [root / link for _, line in paragraph for link in DOCS_LINK.findall(line)]
        texts = [p.read_text() for p in pages if p.is_file()]
        for number, line in paragraph:
            for figure in FIGURE.findall(line):
                if not any(figure in text for text in texts):
                    out.append(f"README.md:{number}: {figure}: {line.strip()}")
    return out


def test_every_cited_module_path_exists():
    assert not missing_paths(), missing_paths()


def test_the_path_check_can_fail(tmp_path):
    (tmp_path / "simulation").mkdir()
    (tmp_path / "simulation" / "model.py").write_text("def step():\n    pass\n")
    doc = tmp_path / "page.md"
    doc.write_text("See `simulation/model.py`, `simulation/model.step`, `simulation/*.py`\n"
                   "and `simulation/gone.py`, `simulation/model.walk`.\n")
    assert missing_paths([doc], tmp_path) == ["page.md:2: simulation/gone.py",
                                              "page.md:2: simulation/model.walk"]


def test_every_figure_in_the_readme_links_to_a_page_that_shows_it():
    failing = unlinked_figures(ROOT / "README.md")
    assert not failing, "\n".join(failing)


def test_the_figure_check_can_fail(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "compare.md").write_text("The peak falls 4.7 %, inside 3–6 %.\n")
    readme = tmp_path / "README.md"
    readme.write_text("The peak falls inside\n3–6 % ([compare](docs/compare.md)).\n\n"
                      "Profit rises 12 % on its own.\n\n"
                      "```sh\ngridvalue compare --replicates 10   # 95 % intervals\n```\n"
                      "Uptake 30 % ([compare](docs/compare.md)).\n")
    assert unlinked_figures(readme, tmp_path) == [
        "README.md:4: 12: Profit rises 12 % on its own.",
        "README.md:9: 30: Uptake 30 % ([compare](docs/compare.md)).",
    ]


def unnamed_modules(page: Path, root: Path = ROOT) -> list[str]:
    """Modules of the package the page does not name: by path, by `folder/module.py`, or
    by file name where no other module has that name."""
    text = page.read_text()
    modules = [p.relative_to(root) for folder in ("simulation", "agents", "experiments", "viz")
               for p in (root / folder).rglob("*.py") if p.name != "__init__.py"]
    names = [m.name for m in modules]
    return [str(m) for m in modules
            if str(m) not in text and f"{m.parent.name}/{m.name}" not in text
            and not (names.count(m.name) == 1 and f"`{m.name}`" in text)]


def test_the_architecture_page_names_every_module():
    missing = unnamed_modules(ROOT / "docs" / "architecture.md")
    assert not missing, f"add to docs/architecture.md: {missing}"


def test_the_module_check_can_fail(tmp_path):
    for path in ("simulation/model.py", "simulation/services/cchp.py", "simulation/cchp.py",
                 "agents/choice.py"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("")
    page = tmp_path / "page.md"
    page.write_text("`simulation/model.py`, `services/cchp.py`, `cchp.py`, `choice.py`\n")
    assert unnamed_modules(page, tmp_path) == ["simulation/cchp.py"]
