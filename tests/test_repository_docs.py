"""The repository explains itself: DEVELOPMENT.md's layout names what the code holds, and no document
sends readers to files outside the repository."""

from __future__ import annotations

import re
import subprocess

from casework.app import PROJECT_ROOT


def _layout() -> str:
    text = (PROJECT_ROOT / "DEVELOPMENT.md").read_text()
    block = re.search(r"^## Layout\n.*?```\n(.*?)```", text, re.MULTILINE | re.DOTALL)
    assert block, "DEVELOPMENT.md has no layout block"
    return block.group(1)


def _named(layout: str, indent: int) -> set[str]:
    """The names at one indentation of the layout block (``core/``, ``app.py``)."""
    return {m.group(1) for m in re.finditer(rf"^ {{{indent}}}(\S+)", layout, re.MULTILINE)}


def test_the_layout_names_every_package_and_core_module_and_nothing_else() -> None:
    layout = _layout()
    package = PROJECT_ROOT / "casework"
    on_disk = {p.name + "/" for p in package.iterdir() if p.is_dir() and any(p.glob("*.py"))}
    on_disk |= {p.name for p in package.glob("*.py") if p.name != "__init__.py"}
    assert _named(layout, 2) == on_disk

    core_on_disk = {p.name for p in (package / "core").glob("*.py") if p.name != "__init__.py"}
    assert _named(layout, 4) == core_on_disk

    for top in _named(layout, 0) - {"casework/"}:
        assert (PROJECT_ROOT / top).exists(), f"DEVELOPMENT.md lists {top}, which does not exist"


def test_no_tracked_document_refers_outside_the_repository() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "*.md"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "README.md" in tracked
    for name in tracked:
        text = (PROJECT_ROOT / name).read_text()
        assert "../shared" not in text, f"{name} sends readers outside the repository"


#: How the project's own specification and research, which live outside the repository, used to be
#: cited: a reader of the code, a template or a setting's wording could not open any of them.
OUTSIDE_DOCUMENTS = re.compile(
    r"\.\./shared|\bSPEC(?:\.md| sections?\b|:|$)|\(SPEC\b|(?<!docs/)\bAPI\.md|domain-rules|anchor-systems"
)


def test_no_tracked_file_cites_documents_outside_the_repository() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "*.py", "*.html", "*.md", "*.txt", "*.toml", "*.yml", "*.sh", "*.j2", "*.json"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    this_file = "tests/test_repository_docs.py"
    assert this_file in tracked
    cited = [
        f"{name}:{number}: {line.strip()}"
        for name in tracked
        if name != this_file and (PROJECT_ROOT / name).is_file()
        for number, line in enumerate((PROJECT_ROOT / name).read_text(errors="replace").splitlines(), 1)
        if OUTSIDE_DOCUMENTS.search(line)
    ]
    assert not cited, "cites documents outside the repository (name the repository's own docs instead):\n" + "\n".join(
        cited
    )
