"""The taxonomy: exact strings of the 5 subjects and 25 image types, and subject_of."""

import pytest

from core.problems.taxonomy import (
    ALL_IMAGE_TYPES,
    IMAGE_TYPES,
    SUBJECTS,
    Subject,
    UnknownImageType,
    is_image_type,
    short_name,
    subject_of,
)

# The spec (issue 2), spelled out so that a typo in the taxonomy fails here.
EXPECTED = {
    "Math": ["Plane Geometric", "Solid Geometric", "Analytic Geometry", "Set & Probability"],
    "Physics": [
        "Mechanical",
        "Field Diagram",
        "Optical Ray",
        "Circuit",
        "Thermodynamic",
        "Waveform",
        "Astronomical",
    ],
    "Chemistry": [
        "Molecular Structure",
        "Crystal Structure",
        "Reaction Scheme",
        "Electron Config",
        "Orbital / Quantum",
        "Spectra",
    ],
    "Biology": ["Cell Diagram", "Genetics", "Ecological", "Molecular Process"],
    "Universal": ["Plot & Chart", "Graph & Flow", "Table / Grid", "Exp. Setup"],
}


def test_five_subjects_in_order():
    assert SUBJECTS == ("Math", "Physics", "Chemistry", "Biology", "Universal")
    assert [s.value for s in Subject] == list(SUBJECTS)


def test_twenty_five_exact_image_types():
    expected = [f"{subject} - {name}" for subject, names in EXPECTED.items() for name in names]
    assert len(expected) == 25
    assert list(ALL_IMAGE_TYPES) == expected
    assert len(set(ALL_IMAGE_TYPES)) == 25
    assert {s.value: len(types) for s, types in IMAGE_TYPES.items()} == {
        k: len(v) for k, v in EXPECTED.items()
    }


@pytest.mark.parametrize("image_type", [f"{s} - {n}" for s, names in EXPECTED.items() for n in names])
def test_subject_of_every_type(image_type):
    assert subject_of(image_type) == Subject(image_type.split(" - ")[0])
    assert is_image_type(image_type)


@pytest.mark.parametrize(
    "bad", ["", "Physics", "physics - circuit", "Physics - Circuits", "Math-Plane Geometric"]
)
def test_subject_of_rejects_strings_outside_the_taxonomy(bad):
    with pytest.raises(UnknownImageType, match="unknown image type"):
        subject_of(bad)
    assert not is_image_type(bad)


def test_short_name():
    assert short_name("Chemistry - Orbital / Quantum") == "Orbital / Quantum"
    assert short_name("Universal - Exp. Setup") == "Exp. Setup"
    assert short_name("untyped") == "untyped"
