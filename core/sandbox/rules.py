"""The capture rule, as documentation the generation prompt and the README can quote."""

CAPTURE_RULE = """\
Capture rule (what `render` returns as the PNG):

1. The last PNG the script saved with `savefig` (`plt.savefig` or `fig.savefig`, any file
   name or a file object), exactly as it was at that moment. The file is written too, inside the
   script's private working folder, so a script reading it back still works.
2. If the script's last `savefig` used another format (pdf, svg, jpg), that figure is rendered
   as PNG at the end.
3. If it never saved, the most recently created figure that has something drawn on it, rendered at
   the end. `plt.show()` does nothing and `plt.close()` does not lose a figure: every figure
   ever created stays available.
4. If no figure has anything drawn, a function the script defined but never called is called:
   `main`, else the last defined one named `draw*`, `plot*`, `make*`, `create*`,
   `render*`, `build*`, `generate*`, `visuali[sz]e*`, `sketch*`, `figure*` or
   `diagram*` that takes no required arguments; failing that, a `schemdraw.Drawing` that was
   never drawn is drawn. Then rules 1-3 apply again.
5. Otherwise: `no_figure` (no figure exists) or `blank_figure` (figures exist, nothing drawn).

`render(..., dpi=D)` renders at D dots per inch whatever the script asked; without it the
script's own `dpi` (or the figure's) is used. Other `savefig` options (`bbox_inches`,
`pad_inches`, `facecolor`, `transparent` ...) are honoured.

Figure facts are measured while that one PNG is drawn: every `Text` artist that is actually
drawn (visible, non-empty, in the real drawing pass) with its box in the PNG's pixel coordinates.
"""
