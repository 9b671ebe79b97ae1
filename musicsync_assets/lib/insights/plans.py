"""Plan files (`plans/*.md`, `.cursor/plans/*.md`): what each promises and how much of it exists.

A plan may carry YAML front matter (`name`, `overview`, `todos: [{id, content, status}]`), markdown
sections ("Deliverables", "Files", "Success criteria") and checkboxes (`- [ ]`, `- [x]`). Each file
is read on its own: a broken one is reported by name and the others are still read. Nothing outside
the workspace root is read, written or even looked at.
"""

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from musicsync_assets.lib.insights.files import OutsideWorkspace, create_new, inside, read_text

MAX_PLAN_BYTES = 1_000_000
DONE_STATUSES = {"completed", "complete", "done", "cancelled", "canceled"}
EXISTS, MISSING, OUTSIDE = "exists", "missing", "outside_workspace"
DELIVERABLE_SECTIONS = ("deliverable", "files", "outputs", "artifacts")
CRITERIA_SECTIONS = ("success criteria", "acceptance criteria", "definition of done")
# What scaffold_missing may create: documentation and configuration, never code.
DOC_SUFFIXES = {".md", ".markdown", ".rst", ".txt"}
CONFIG_SUFFIXES = {".yaml", ".yml", ".toml", ".ini", ".cfg", ".json", ".env"}
STUB_MARK = "musicsync stub"

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[(?P<box>[ xX])\]\s+)?(?P<text>.+?)\s*$")
_BACKTICKED = re.compile(r"`([^`]+)`")
# A path names a folder (`a/b`, `../x`) or a file with an extension (`README.md`), without spaces.
_PATHLIKE = re.compile(r"^(?=\S*(?:/|\.[A-Za-z0-9]{1,8}$))[\w.@~/+-]+$")


@dataclass
class Deliverable:
    name: str
    path: str | None
    status: str  # exists | missing | outside_workspace
    scaffolded: bool = False


@dataclass
class Plan:
    file: str  # relative to the workspace root
    plan: str
    overview: str | None = None
    error: str | None = None
    deliverables: list[Deliverable] = field(default_factory=list)
    incomplete_tasks: list[str] = field(default_factory=list)
    success_criteria: list[dict] = field(default_factory=list)  # {text, done}

    def as_json(self) -> dict:
        return {"plan": self.plan, "file": self.file, "error": self.error,
                "deliverables": [{"name": d.name, "path": d.path, "status": d.status} for d in self.deliverables],
                "incomplete_tasks": self.incomplete_tasks, "success_criteria": self.success_criteria}

    @property
    def missing(self) -> list[Deliverable]:
        return [d for d in self.deliverables if d.status == MISSING]


@dataclass
class PlanItem:
    """A missing deliverable or an unfinished task nothing in musicsync can resolve: a person's to-do."""

    item_id: str
    plan: str
    file: str
    kind: str  # deliverable | task
    text: str


def plan_files(root: Path, folders: list[str]) -> tuple[list[Path], list[str]]:
    """The plan files under each folder (recursively), and what was refused and why."""
    found, problems = [], []
    for folder in folders:
        try:
            base = inside(root, folder)
        except OutsideWorkspace as error:
            problems.append(f"{folder}: {error}, not read")
            continue
        if not base.is_dir():
            continue
        # Every file, not only *.md: a stray binary or a mis-named plan is reported rather than ignored.
        for path in sorted(base.rglob("*")):
            if not path.is_file() or any(part.startswith(".") for part in path.relative_to(base).parts):
                continue
            try:
                found.append(inside(root, path))
            except OutsideWorkspace:
                problems.append(f"{folder}/{path.relative_to(base).as_posix()}: links outside the workspace, "
                                "not read")
    return list(dict.fromkeys(found)), problems


def read_plan(root: Path, path: Path) -> Plan:
    """One plan; what could not be parsed is named in `error` and the rest is still read."""
    relative = path.relative_to(root.resolve()).as_posix()
    text, problem, truncated = read_text(path, MAX_PLAN_BYTES)
    if text is None:
        return Plan(relative, path.stem, error=problem)
    errors = [f"larger than {MAX_PLAN_BYTES // 1_000_000} MB: only its end was read"] if truncated else []
    meta, body, meta_error = _front_matter(text)
    if meta_error:
        errors.append(meta_error)
    title = next((m.group(2) for line in body.splitlines() if (m := _HEADING.match(line)) and len(m.group(1)) == 1),
                 None)
    plan = Plan(relative, str(meta.get("name") or title or path.stem),
                overview=str(meta["overview"]) if meta.get("overview") else None)
    todos = meta.get("todos") if isinstance(meta.get("todos"), list) else []
    if meta.get("todos") is not None and not todos:
        errors.append("todos in the front matter is not a list")
    for todo in todos:
        if isinstance(todo, dict) and str(todo.get("status", "pending")).lower() not in DONE_STATUSES:
            plan.incomplete_tasks.append(str(todo.get("content") or todo.get("id")))
    headings = 0
    section = ""
    sections: dict[str, list[bool]] = {}  # heading → its checkboxes, ticked or not
    unboxed: list[Deliverable] = []
    fenced = False
    for line in body.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced  # a shell comment in a code block is not a heading, nor its lines tasks
            continue
        if fenced:
            continue
        heading = _HEADING.match(line)
        if heading:
            headings += 1
            section = heading.group(2).strip().lower()
            sections.setdefault(section, [])
            continue
        item = _ITEM.match(line)
        if not item:
            continue
        box, item_text = item.group("box"), item.group("text")
        done = box is not None and box.lower() == "x"
        if box is not None and section:
            sections[section].append(done)
        if section.startswith(DELIVERABLE_SECTIONS):
            plan.deliverables.append(_deliverable(root, item_text, done))
            if box is None and plan.deliverables[-1].path is None:
                unboxed.append(plan.deliverables[-1])
        elif section.startswith(CRITERIA_SECTIONS):
            plan.success_criteria.append({"text": item_text, "done": done})
        elif box is not None and not done:
            plan.incomplete_tasks.append(item_text)
    # A named deliverable without a box of its own is done when the plan's section of that name is:
    # it has checkboxes and every one is ticked.
    for deliverable in unboxed:
        boxes = sections.get(deliverable.name.lower().rstrip(":"))
        if boxes and all(boxes):
            deliverable.status = EXISTS
    if not headings and not todos and not plan.incomplete_tasks:
        errors.append("no sections, todos or checkboxes: nothing to check")
    plan.error = "; ".join(errors) or None
    return plan


def _front_matter(text: str) -> tuple[dict, str, str | None]:
    if not text.startswith("---"):
        return {}, text, None
    end = re.search(r"^(?:---|\.\.\.)\s*$", text[3:], re.MULTILINE)
    if end is None:
        return {}, text, "front matter has no closing ---"
    raw, body = text[3:3 + end.start()], text[3 + end.end():]
    try:
        meta = yaml.safe_load(raw)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""  # raw starts on the opening --- line
        return {}, body, f"front matter is not valid YAML{where}: {getattr(error, 'problem', error)}"
    if meta is None:
        return {}, body, None
    if not isinstance(meta, dict):
        return {}, body, "front matter is not a mapping of keys"
    return meta, body, None


def _deliverable(root: Path, text: str, done: bool) -> Deliverable:
    """A file path when the item names one (in backticks, or as its first word), else a named piece
    of work that is done when its checkbox is ticked (or, without one, its section: see read_plan)."""
    quoted = _BACKTICKED.findall(text)
    first = text.split()[0].rstrip(":,")
    candidate = next((q.strip() for q in quoted if _PATHLIKE.match(q.strip())), None) or \
        (first if _PATHLIKE.match(first) else None)
    name = re.sub(r"\s+", " ", text.replace("`", "")).strip()
    if candidate is None:
        return Deliverable(name, None, EXISTS if done else MISSING)
    try:
        target = inside(root, candidate)
    except OutsideWorkspace:
        return Deliverable(name, candidate, OUTSIDE)
    return Deliverable(name, candidate, EXISTS if target.exists() else MISSING)


def scan(root: Path, folders: list[str]) -> tuple[list[Plan], list[str]]:
    """Every plan in the folders, and the files that could not be read (named)."""
    files, problems = plan_files(root, folders)
    plans = []
    for path in files:
        try:
            plans.append(read_plan(root, path))
        except OSError as error:
            problems.append(f"{path.relative_to(root.resolve())}: {error.strerror}")
    problems += [f"{plan.file}: {plan.error}" for plan in plans if plan.error]
    return plans, problems


def scaffoldable(path: str | None) -> bool:
    return bool(path) and Path(path).suffix.lower() in DOC_SUFFIXES | CONFIG_SUFFIXES


def stub_content(path: Path, plan: Plan, deliverable: Deliverable) -> str:
    note = f"{STUB_MARK}: created from the plan {plan.plan!r} ({plan.file}); replace it with the real thing"
    suffix = path.suffix.lower()
    if suffix in DOC_SUFFIXES:
        return f"<!-- {note} -->\n# {path.stem.replace('_', ' ').replace('-', ' ').title()}\n\n" \
               f"*Stub.* The plan asks for: {deliverable.name}\n"
    if suffix == ".json":
        return '{"_' + STUB_MARK.replace(" ", "_") + '": ' + f'"{note}"' + "}\n"
    return f"# {note}\n"


def scaffold(root: Path, plans: list[Plan]) -> list[str]:
    """Creates each missing documentation or configuration deliverable as a marked stub; never over
    an existing file, never code, never outside the workspace. Returns the paths created."""
    created = []
    for plan in plans:
        for deliverable in plan.missing:
            if not scaffoldable(deliverable.path) or deliverable.path.endswith("/"):
                continue
            target = inside(root, deliverable.path)
            if create_new(target, stub_content(target, plan, deliverable).encode()):
                deliverable.status, deliverable.scaffolded = EXISTS, True
                created.append(deliverable.path)
    return created


def open_items(plans: list[Plan]) -> list[PlanItem]:
    """Missing deliverables and unfinished tasks: what only a person can settle, one item each,
    keyed stably by plan file, kind and text so filing them twice is recognisable."""
    items = []
    for plan in plans:
        texts = [("deliverable", d.path or d.name) for d in plan.missing] + \
                [("task", task) for task in plan.incomplete_tasks]
        for kind, text in texts:
            digest = hashlib.sha1(f"{plan.file}\0{kind}\0{text}".encode()).hexdigest()[:12]
            items.append(PlanItem(f"plan-{digest}", plan.plan, plan.file, kind, text))
    return items
