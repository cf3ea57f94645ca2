"""Evaluation: evaluators registered by name, metric declarations and statistics."""
