"""Problems: the taxonomy, the Problem/Quiz records and their loaders."""

from core.problems.models import SOURCES, Problem, Quiz, split_uid
from core.problems.taxonomy import ALL_IMAGE_TYPES, IMAGE_TYPES, SUBJECTS, Subject, subject_of

__all__ = [
    "ALL_IMAGE_TYPES",
    "IMAGE_TYPES",
    "SOURCES",
    "SUBJECTS",
    "Problem",
    "Quiz",
    "Subject",
    "split_uid",
    "subject_of",
]
