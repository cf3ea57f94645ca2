# A regular package, so `import tests.…` finds this project's tests first: torch-fidelity installs a
# top-level `tests` package into site-packages that would otherwise shadow ours.
