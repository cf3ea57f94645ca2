"""Deterministic fonts: only the fonts bundled with Matplotlib (DejaVu, STIX, Computer Modern).

System fonts differ between machines, so a figure rendered here and on CI could differ. The warm
parent restricts Matplotlib's font list to its own data folder and resets rcParams to
Matplotlib's defaults (a user's matplotlibrc is never read: the sandbox's config folder is its
own). DejaVu Sans covers Greek, the degree sign, Ω, µ and sub/superscript digits; mathtext uses
the bundled DejaVu/STIX/cm sets. A family that is not bundled (e.g. Arial) falls back to DejaVu
Sans with Matplotlib's usual warning on stderr.
"""

from __future__ import annotations


def pin_bundled_fonts() -> int:
    """Restrict Matplotlib to its bundled fonts; returns how many font files remain."""
    import matplotlib
    from matplotlib import font_manager

    data_path = matplotlib.get_data_path()
    manager = font_manager.fontManager
    manager.ttflist = [font for font in manager.ttflist if font.fname.startswith(data_path)]
    manager.afmlist = [font for font in manager.afmlist if font.fname.startswith(data_path)]
    cached = getattr(manager, "_findfont_cached", None)
    if cached is not None and hasattr(cached, "cache_clear"):
        cached.cache_clear()
    font_manager._get_font.cache_clear()
    matplotlib.rcdefaults()
    matplotlib.rcParams.update({
        "svg.hashsalt": "scigen",  # stable ids in SVG output
        "figure.max_open_warning": 0,  # scripts may open many figures; not worth a warning
        "text.usetex": False,  # no LaTeX inside the sandbox
    })
    return len(manager.ttflist)
