"""SciGen Studio core library: problems, store, sandbox, models, generation, evaluation, export.

Nothing in ``core`` imports Streamlit; the dashboard and the CLI are thin layers over it.
"""

__version__ = "0.1.0"
