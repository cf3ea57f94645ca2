"""People in the loop: reviewers' ratings of figures (review records, sampling plans, CSV
exchange) and how far the judges agree with them (:mod:`core.review.agreement`).

A review item is one figure: a generation run's figure of one problem. A reviewer rates it on the
five judge dimensions (0-2, the judge's own rubric) and gives a verdict per quiz; ratings are
stored through :class:`core.store.Store` one item at a time, so a review can stop and resume.
"""
