"""The handout library: lists and loads the versioned handout content (YAML in, Handout out).

Content lives in ``<root>/<id>/<lang>.yaml`` (``resources_dir() / "handouts"`` in the app);
the next steps a clinician can tick are in ``<root>/next-steps.yaml``.
Every problem is one line naming the file or the unknown id or language, so the command line
can print it as it is.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from clinic_app.domain.assessment.rules import lumbar_missing
from clinic_app.domain.errors import ClinicError
from clinic_app.domain.exam import NeuroFootExam
from clinic_app.domain.handouts import Handout, HandoutLanguage, NextStepCatalog, VisitFact
from clinic_app.services.forms import UniqueKeyLoader


class HandoutError(ClinicError):
    """A handout is unknown, or its file is missing, is not YAML or does not fit the model."""


NEXT_STEPS_FILE = "next-steps.yaml"


def visit_facts(exam: NeuroFootExam | None) -> frozenset[VisitFact]:
    """What holds for a visit, for the handout blocks that depend on it (``only_if``/``unless``).

    No exam (a copy printed from the library) means no fact holds: the neutral wording.
    The lumbar screen is complete when the pre-operative gate (R11) finds no item untested.
    """
    if exam is None:
        return frozenset()
    facts: set[VisitFact] = set()
    if not lumbar_missing(exam):
        facts.add(VisitFact.LUMBAR_SCREEN_COMPLETE)
    return frozenset(facts)


def _read_yaml(path: Path) -> object:
    """The parsed YAML of one content file; HandoutError (one line) when it cannot be."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise HandoutError(f"cannot read handout {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise HandoutError(f"handout {path} is not UTF-8 text") from None
    try:
        return yaml.load(text, Loader=UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise HandoutError(
            f"handout {path} is not valid YAML: {' '.join(str(exc).split())}"
        ) from None


def _first_problem(exc: ValidationError) -> str:
    """The first validation problem as 'where: message' on one line."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "top level"
    where = " ".join(where.split())  # a key may hold line breaks; the message may not
    message = " ".join(str(first["msg"]).removeprefix("Value error, ").split())
    return f"{where}: {message}"


def _known(values: list[str] | tuple[str, ...]) -> str:
    return ", ".join(values) if values else "(none)"


class HandoutLibrary:
    """The handouts under one folder, loaded on first use and kept.

    Args:
        root: the folder holding one sub-folder per handout id.
    """

    def __init__(self, root: Path) -> None:
        self._root = root
        self._loaded: dict[tuple[str, HandoutLanguage], Handout] = {}
        self._next_steps: NextStepCatalog | None = None

    @property
    def root(self) -> Path:
        """The folder the library reads."""
        return self._root

    def ids(self) -> tuple[str, ...]:
        """Every handout id (a sub-folder with at least one language file), sorted.

        Raises:
            HandoutError: the folder does not exist.
        """
        if not self._root.is_dir():
            raise HandoutError(f"handout folder {self._root} is missing")
        return tuple(
            sorted(
                folder.name
                for folder in self._root.iterdir()
                if folder.is_dir() and self._languages_in(folder)
            )
        )

    def languages(self, handout_id: str) -> tuple[HandoutLanguage, ...]:
        """The languages one handout is written in, in the order of ``HandoutLanguage``.

        Raises:
            HandoutError: the id is unknown.
        """
        return self._languages_in(self._folder(handout_id))

    def get(self, handout_id: str, language: str) -> Handout:
        """One handout in one language (``"en"`` or ``"es"``), validated.

        Raises:
            HandoutError: one line naming the unknown id or language, or the file and its
                first problem.
        """
        lang = self._language(language)
        key = (handout_id, lang)
        if key not in self._loaded:
            folder = self._folder(handout_id)
            path = folder / f"{lang.value}.yaml"
            if not path.is_file():
                have = _known([other.value for other in self._languages_in(folder)])
                raise HandoutError(
                    f"handout {handout_id!r} has no {lang.label} ({lang.value}) version: "
                    f"{path} is missing; it has: {have}"
                )
            self._loaded[key] = self._load(path, handout_id, lang)
        return self._loaded[key]

    def load_all(self) -> tuple[Handout, ...]:
        """Every handout in every language it has, by id then language (for checks at build).

        Raises:
            HandoutError: the first file that does not load.
        """
        return tuple(
            self.get(handout_id, lang.value)
            for handout_id in self.ids()
            for lang in self.languages(handout_id)
        )

    def next_steps(self) -> NextStepCatalog:
        """The next steps a clinician can tick for a patient's copy.

        Raises:
            HandoutError: the file is missing or does not fit the model (one line).
        """
        if self._next_steps is None:
            path = self._root / NEXT_STEPS_FILE
            data = _read_yaml(path)
            try:
                self._next_steps = NextStepCatalog.model_validate(data)
            except ValidationError as exc:
                raise HandoutError(f"{path}: {_first_problem(exc)}") from None
        return self._next_steps

    # --- internals --------------------------------------------------------------------------

    @staticmethod
    def _languages_in(folder: Path) -> tuple[HandoutLanguage, ...]:
        return tuple(lang for lang in HandoutLanguage if (folder / f"{lang.value}.yaml").is_file())

    def _folder(self, handout_id: str) -> Path:
        known = self.ids()
        if handout_id not in known:
            raise HandoutError(f"unknown handout {handout_id!r}; known: {_known(known)}")
        return self._root / handout_id

    @staticmethod
    def _language(language: str) -> HandoutLanguage:
        try:
            return HandoutLanguage(language)
        except ValueError:
            known = _known([lang.value for lang in HandoutLanguage])
            raise HandoutError(f"unknown language {language!r}; known: {known}") from None

    @staticmethod
    def _load(path: Path, handout_id: str, language: HandoutLanguage) -> Handout:
        data = _read_yaml(path)
        try:
            handout = Handout.model_validate(data)
        except ValidationError as exc:
            raise HandoutError(f"handout {path}: {_first_problem(exc)}") from None
        # The folder and file name are what the library and the print log go by.
        if handout.id != handout_id:
            raise HandoutError(
                f"handout {path}: id {handout.id!r} does not match its folder {handout_id!r}"
            )
        if handout.language is not language:
            raise HandoutError(
                f"handout {path}: language {handout.language.value!r} does not match "
                f"its file name {language.value!r}"
            )
        return handout
