"""ORM models, one module per aggregate.  Importing this package registers them all."""

from webapp.models.audit import AuditAction, AuditEvent
from webapp.models.development import (
    Assignment,
    Consent,
    Exemplar,
    FeedbackRelease,
    SessionNote,
)
from webapp.models.job import Job, JobStatus
from webapp.models.rating import (
    CompanionResponse,
    EvidenceMark,
    FinalMethod,
    FinalScore,
    GoldStandard,
    InstrumentVersion,
    Rating,
    RatingMode,
    RatingScore,
    RatingStatus,
    RatingTask,
    TaskRole,
    TaskStatus,
)
from webapp.models.recording import (
    Recording,
    RecordingChunk,
    RecordingSource,
    RecordingStatus,
    Segment,
    Speaker,
    Transcript,
)
from webapp.models.user import ROLE_LABELS, Cohort, Role, User, UserRole, new_session_token
from webapp.models.vignette import Vignette, VignetteVersion

__all__ = [
    "ROLE_LABELS",
    "Assignment",
    "AuditAction",
    "AuditEvent",
    "Cohort",
    "CompanionResponse",
    "Consent",
    "EvidenceMark",
    "Exemplar",
    "FeedbackRelease",
    "FinalMethod",
    "FinalScore",
    "GoldStandard",
    "InstrumentVersion",
    "Job",
    "JobStatus",
    "Rating",
    "RatingMode",
    "RatingScore",
    "RatingStatus",
    "RatingTask",
    "Recording",
    "RecordingChunk",
    "RecordingSource",
    "RecordingStatus",
    "Role",
    "Segment",
    "SessionNote",
    "Speaker",
    "TaskRole",
    "TaskStatus",
    "Transcript",
    "User",
    "UserRole",
    "Vignette",
    "VignetteVersion",
    "new_session_token",
]
