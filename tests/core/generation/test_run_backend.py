"""Which drawing backend a stored run's spec names (core.generation.backends.run_backend)."""

from core.generation import GeneratorSpec, registered_generators
from core.generation.backends import backend_label, run_backend


def test_a_code_generator_spec_names_its_backend_and_matplotlib_is_the_implicit_default():
    tikz = GeneratorSpec.create("reference", backend="tikz")
    matplotlib = registered_generators()["reference"].complete_spec(GeneratorSpec.create("reference", backend="matplotlib"))
    assert "backend" not in matplotlib.params  # stored as before backends existed
    assert run_backend("reference", tikz.params) == "tikz"
    assert run_backend("reference", matplotlib.params) == "matplotlib"
    assert run_backend("imgcoder", {"model": "m"}) == "matplotlib"
    assert [backend_label(run_backend("reference", s.params)) for s in (tikz, matplotlib)] == ["TikZ", "Matplotlib"]


def test_runs_that_draw_no_code_have_no_backend():
    assert run_backend("text-card", {}) is None
    assert run_backend("not-registered", {"backend": "tikz"}) is None
    assert backend_label(None) == ""
