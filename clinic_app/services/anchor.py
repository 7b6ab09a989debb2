"""The audit chain's head kept outside the database: a checkpoint file in the data folder.

After every commit that appended to the audit trail the new head (sequence number, hash and
where the keyed part starts) is written to ``audit-checkpoint.json``, MAC'd with the practice
key so it cannot be edited without it. At start and in `clinic-app audit verify` the chain
must pass through the checkpoint and be at least as long: a tail cut off, or a chain
recomputed from some entry on, no longer matches it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from clinic_app.domain.audit import Checkpoint
from clinic_app.domain.errors import ClinicError
from clinic_app.domain.hashing import canonical_json
from clinic_app.services.keys import PracticeKey

CHECKPOINT_FILE = "audit-checkpoint.json"
MAX_CHECKPOINT_BYTES = 4096


class CheckpointInvalid(ClinicError):
    """The checkpoint file was altered or is not readable."""


class ChainAnchor:
    """Reads and writes the checkpoint file; holds still once an integrity alert was raised.

    Args:
        folder: the data folder.
        key: the practice key (MACs the file).
    """

    def __init__(self, folder: Path, key: PracticeKey) -> None:
        self.path = folder / CHECKPOINT_FILE
        self._key = key
        self.held = False
        """True after an alert: the checkpoint keeps the evidence instead of moving on."""
        self.alert: str | None = None
        """The integrity alert raised at start (shown to whoever logs in), until a restore."""
        self._written: Checkpoint | None = None
        """What this process last wrote (saves reading the file back at every commit)."""

    def _mac(self, fields: dict[str, object]) -> str:
        return self._key.mac(canonical_json(fields))

    def read(self) -> Checkpoint | None:
        """The checkpoint, or None when there is none yet; raises CheckpointInvalid."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CheckpointInvalid(
                f"the audit checkpoint {self.path} cannot be read ({exc.strerror or exc})"
            ) from None
        try:
            if len(raw) > MAX_CHECKPOINT_BYTES:
                raise ValueError("too big")
            data = json.loads(raw.decode("utf-8"))
            fields = {k: data[k] for k in ("seq", "entry_hash", "keyed_from")}
            mac = data["mac"]
            checkpoint = Checkpoint.model_validate(fields)
        except (ValueError, KeyError, TypeError, RecursionError):
            raise CheckpointInvalid(f"the audit checkpoint {self.path} is damaged") from None
        if not self._key.present or mac != self._mac(fields):
            raise CheckpointInvalid(
                f"the audit checkpoint {self.path} was altered (its MAC does not match the "
                "practice key)"
            )
        return checkpoint

    def write(self, checkpoint: Checkpoint) -> None:
        """Replace the checkpoint (atomically; never while an alert holds it)."""
        if self.held or not self._key.present:
            return
        fields: dict[str, object] = {
            "seq": checkpoint.seq,
            "entry_hash": checkpoint.entry_hash,
            "keyed_from": checkpoint.keyed_from,
        }
        data = json.dumps({**fields, "mac": self._mac(fields)}).encode("utf-8")
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(temp, self.path)
            self._written = checkpoint
        except OSError:
            # A checkpoint that cannot be written is caught up by the next commit; the
            # transaction itself is already durable.
            temp.unlink(missing_ok=True)

    def reset(self, checkpoint: Checkpoint | None) -> None:
        """Set the checkpoint to a restored chain's head (the one time it may move back)."""
        self.held = False
        self.alert = None
        self._written = None
        if checkpoint is None:
            self.path.unlink(missing_ok=True)
        else:
            self.write(checkpoint)

    def advance(self, checkpoint: Checkpoint) -> None:
        """Move the checkpoint forward to a newer head (never backwards)."""
        if self.held:
            return
        current = self._written
        if current is None:
            try:
                current = self.read()
            except CheckpointInvalid:
                return  # the alert is raised at start and by audit verify; keep the evidence
        if current is not None and current.seq > checkpoint.seq:
            return
        self.write(checkpoint)
