"""The SciGenBench taxonomy: 5 subjects and 25 image types, as exact strings.

An image type is always written ``"<Subject> - <Type>"``; the subject is the part before
the first `` - ``. SeePhys items carry no image type: they are Physics, untyped.
"""

from __future__ import annotations

from enum import StrEnum


class Subject(StrEnum):
    MATH = "Math"
    PHYSICS = "Physics"
    CHEMISTRY = "Chemistry"
    BIOLOGY = "Biology"
    UNIVERSAL = "Universal"


IMAGE_TYPES: dict[Subject, tuple[str, ...]] = {
    Subject.MATH: (
        "Math - Plane Geometric",
        "Math - Solid Geometric",
        "Math - Analytic Geometry",
        "Math - Set & Probability",
    ),
    Subject.PHYSICS: (
        "Physics - Mechanical",
        "Physics - Field Diagram",
        "Physics - Optical Ray",
        "Physics - Circuit",
        "Physics - Thermodynamic",
        "Physics - Waveform",
        "Physics - Astronomical",
    ),
    Subject.CHEMISTRY: (
        "Chemistry - Molecular Structure",
        "Chemistry - Crystal Structure",
        "Chemistry - Reaction Scheme",
        "Chemistry - Electron Config",
        "Chemistry - Orbital / Quantum",
        "Chemistry - Spectra",
    ),
    Subject.BIOLOGY: (
        "Biology - Cell Diagram",
        "Biology - Genetics",
        "Biology - Ecological",
        "Biology - Molecular Process",
    ),
    Subject.UNIVERSAL: (
        "Universal - Plot & Chart",
        "Universal - Graph & Flow",
        "Universal - Table / Grid",
        "Universal - Exp. Setup",
    ),
}

ALL_IMAGE_TYPES: tuple[str, ...] = tuple(t for types in IMAGE_TYPES.values() for t in types)
SUBJECTS: tuple[str, ...] = tuple(s.value for s in Subject)

_SUBJECT_OF_TYPE = {t: s for s, types in IMAGE_TYPES.items() for t in types}


class UnknownImageType(ValueError):
    """An image type string that is not one of the 25 taxonomy entries."""


def subject_of(image_type: str) -> Subject:
    """The subject an image type belongs to; raises UnknownImageType for strings outside the taxonomy."""
    try:
        return _SUBJECT_OF_TYPE[image_type]
    except KeyError:
        raise UnknownImageType(
            f"unknown image type {image_type!r}; expected one of the 25 SciGenBench types"
        ) from None


def is_image_type(value: str) -> bool:
    return value in _SUBJECT_OF_TYPE


def short_name(image_type: str) -> str:
    """``"Physics - Circuit"`` -> ``"Circuit"`` (for compact chart labels)."""
    return image_type.split(" - ", 1)[1] if " - " in image_type else image_type
