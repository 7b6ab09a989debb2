"""Row classes (SQLAlchemy 2 declarative); the domain models stay separate."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from clinic_app.storage import compact_json

# Search keys compare byte-wise on both databases, so a prefix range scan uses the index.
SearchKey = String(200).with_variant(String(200, collation="C"), "postgresql")


class JsonDocument(TypeDecorator[Any]):
    """JSON on SQLite, JSONB on PostgreSQL (whose dialect is imported only when used)."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        """JSONB for PostgreSQL, plain JSON elsewhere."""
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


JsonDoc = JsonDocument()


class CompactJsonDocument(TypeDecorator[Any]):
    """JSON stored compressed (compact_json): a charted encounter in about a tenth of the room.

    The value read back is the dict written, so hashes and signatures over it are unchanged;
    rows written before (plain JSON, as text or bytes) read as they always did.
    """

    impl = LargeBinary
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Any:
        """Packed bytes to the driver (the impl's own JSON or bytes step is not wanted)."""

        def process(value: Any) -> bytes | None:
            return None if value is None else compact_json.pack(value)

        return process

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        """The stored bytes (or an older row's JSON text) back to the value."""

        def process(value: Any) -> Any:
            return None if value is None else compact_json.unpack(value)

        return process


CompactJsonDoc = CompactJsonDocument()


class HexDigest(TypeDecorator[str]):
    """A SHA-256 or HMAC-SHA256 digest: hex text in the app, its 32 bytes in the database.

    Half the room of the hex text in every audit entry; the hashes computed and compared are
    the same strings either way.
    """

    impl = LargeBinary
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Any:
        """Hex text to bytes for the driver."""

        def process(value: Any) -> bytes | None:
            return None if value is None else bytes.fromhex(value)

        return process

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        """Stored bytes back to hex text."""

        def process(value: Any) -> str | None:
            return None if value is None else bytes(value).hex()

        return process


Digest = HexDigest()


class UtcMoment(TypeDecorator[datetime]):
    """A timestamp stored as UTC.

    SQLite keeps only the wall-clock digits of a datetime and drops its offset, so an aware
    value in another zone would read back shifted (and fail its signature hash).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert aware values to UTC before they reach the driver."""
        if value is not None and value.tzinfo is not None:
            return value.astimezone(UTC)
        return value


Moment = UtcMoment()


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints stably."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class AccountRow(Base):
    """A login."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[str] = mapped_column(String(100))  # comma-separated Role values
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(Moment)
    # An admin's copy of the practice key, wrapped under their password (restore elsewhere).
    practice_key_slot: Mapped[str | None] = mapped_column(Text, nullable=True)


class SigningKeyRow(Base):
    """A person's Ed25519 signing key: public half, private half wrapped under the password."""

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    public_key: Mapped[str] = mapped_column(String(64))
    wrapped_private: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Moment)
    retired_at: Mapped[datetime | None] = mapped_column(Moment, nullable=True)


class LoginFailureRow(Base):
    """Failed logins in a row under one typed user name (known or not); cleared on success."""

    __tablename__ = "login_failures"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failed_at: Mapped[datetime] = mapped_column(Moment)


class PatientRow(Base):
    """Demographics; folded keys serve search as you type."""

    __tablename__ = "patients"
    # Search as you type reads only these two indexes: each holds both name keys (in list
    # order) and the MRN, so every word can be tested without visiting the table.
    __table_args__ = (
        Index("ix_patients_family_given", "family_key", "given_key", "mrn"),
        Index("ix_patients_given_family", "given_key", "family_key", "mrn"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mrn: Mapped[str] = mapped_column(
        String(20).with_variant(String(20, collation="C"), "postgresql"), unique=True
    )
    family_name: Mapped[str] = mapped_column(String(100))
    given_name: Mapped[str] = mapped_column(String(100))
    family_key: Mapped[str] = mapped_column(SearchKey)
    given_key: Mapped[str] = mapped_column(SearchKey)
    date_of_birth: Mapped[date] = mapped_column(Date, index=True)
    sex: Mapped[str] = mapped_column(String(10))
    phone: Mapped[str | None] = mapped_column(String(40))
    preferred_language: Mapped[str] = mapped_column(String(5))
    diabetes: Mapped[str] = mapped_column(String(10))
    # Allergies are an answer (unknown / none_known / listed), never read from a blank list.
    allergy_status: Mapped[str] = mapped_column(String(12), server_default=text("'unknown'"))
    allergies: Mapped[str] = mapped_column(String(500), server_default=text("''"))
    medications: Mapped[str] = mapped_column(String(1000), server_default=text("''"))
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(Moment)
    updated_at: Mapped[datetime] = mapped_column(Moment)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy's own hook)


class EncounterRow(Base):
    """An encounter; content is the domain model's JSON."""

    __tablename__ = "encounters"
    __table_args__ = (
        Index("ix_encounters_patient_date", "patient_id", "encounter_date"),
        # The drafts offered after log-in: one clinician's, newest first, read off the index.
        Index("ix_encounters_clinician_status_updated", "clinician_id", "status", "updated_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    encounter_date: Mapped[date] = mapped_column(Date)
    clinician_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    clinician_name: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10))
    content: Mapped[dict[str, Any]] = mapped_column(CompactJsonDoc)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(Moment)
    updated_at: Mapped[datetime] = mapped_column(Moment)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    signed_by_name: Mapped[str | None] = mapped_column(String(100))
    signed_at: Mapped[datetime | None] = mapped_column(Moment)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    signature: Mapped[str | None] = mapped_column(String(128), nullable=True)
    signing_key_id: Mapped[int | None] = mapped_column(Integer, nullable=True)

    addenda: Mapped[list[AddendumRow]] = relationship(order_by="AddendumRow.id", lazy="selectin")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy's own hook)


class AddendumRow(Base):
    """A signed addendum."""

    __tablename__ = "addenda"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounters.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    author_name: Mapped[str] = mapped_column(String(100))
    signed_at: Mapped[datetime] = mapped_column(Moment)
    content_hash: Mapped[str] = mapped_column(String(64))
    findings: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)
    """Exam path -> value this addendum adds or corrects (None: a text-only addendum)."""
    signature: Mapped[str | None] = mapped_column(String(128), nullable=True)
    signing_key_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class HandoutRequestRow(Base):
    """A handout the clinician queued for the front desk to print."""

    __tablename__ = "handout_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounters.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    handout_id: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    copies: Mapped[int] = mapped_column(Integer)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    requested_by_name: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[datetime] = mapped_column(Moment)
    done_at: Mapped[datetime | None] = mapped_column(Moment, index=True)
    done_by_name: Mapped[str | None] = mapped_column(String(100))
    side: Mapped[str | None] = mapped_column(String(8))
    large_print: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    next_steps: Mapped[str] = mapped_column(String(400), default="", server_default=text("''"))


class PrintLogRow(Base):
    """One print of a handout: which version, which language, who and when."""

    __tablename__ = "print_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("handout_requests.id"), index=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    handout_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(8))
    action: Mapped[str] = mapped_column(String(16))
    by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    by_name: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(Moment)


class AuditRow(Base):
    """One audit entry; seq is assigned by the chain, not by the database."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(Moment)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)
    # The previous entry's hash is not stored again here: it is that entry's entry_hash,
    # read with it (the hash of this entry covers it all the same).
    entry_hash: Mapped[str] = mapped_column(Digest)


class AuditHeadRow(Base):
    """The single row holding the chain's last (seq, hash); locked to serialise appends."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    entry_hash: Mapped[str] = mapped_column(String(64))
    # The first entry hashed with the practice key, and a value identifying that key.
    keyed_from: Mapped[int | None] = mapped_column(Integer, nullable=True)
    key_check: Mapped[str | None] = mapped_column(String(64), nullable=True)


class PracticeRow(Base):
    """The practice's details: one row (id 1), shared by every workstation on the database."""

    __tablename__ = "practice"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[list[str]] = mapped_column(JsonDoc)
    phone: Mapped[str] = mapped_column(String(40))
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    release_timeline: Mapped[dict[str, list[str]] | None] = mapped_column(JsonDoc, nullable=True)
    """Language code -> the surgeon's steps; None prints each handout's own timeline."""
    driving: Mapped[dict[str, dict[str, str]] | None] = mapped_column(JsonDoc, nullable=True)
    """Language code -> {"right": ..., "left": ...}, the surgeon's words on driving again."""
    fever_threshold: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)
    """{"value": 100.4, "unit": "F"}: printed in every handout's help box; None: no number."""
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(Moment)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy's own hook)
