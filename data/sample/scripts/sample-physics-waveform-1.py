"""Snapshot of a sinusoidal transverse wave: amplitude 3.0 cm, wavelength 0.80 m, moving right at 4.0 m/s."""

import matplotlib.pyplot as plt
import numpy as np

amplitude, wavelength = 3.0, 0.80  # cm, m
x = np.linspace(0, 1.8, 600)
y = amplitude * np.sin(2 * np.pi * x / wavelength)

fig, ax = plt.subplots(figsize=(8, 5))
for spine in ("top", "right"):
    ax.spines[spine].set_visible(False)
ax.spines["bottom"].set_position(("data", 0))
ax.spines["left"].set_position(("data", 0))
ax.set_xticks([])
ax.set_yticks([])
ax.plot(1, 0, ">k", transform=ax.get_yaxis_transform(), clip_on=False)
ax.plot(0, 1, "^k", transform=ax.get_xaxis_transform(), clip_on=False)
ax.text(1.93, -0.5, "x", fontsize=14, ha="right", va="top", style="italic")
ax.text(0.04, 5.9, "y", fontsize=14, va="top", style="italic")

ax.plot(x, y, color="#1f5fa8", lw=2.2)

dim = dict(arrowstyle="<|-|>", lw=1.2, color="black", mutation_scale=12)
# Wavelength: crest to crest.
crest1, crest2 = wavelength / 4, wavelength / 4 + wavelength
for c in (crest1, crest2):
    ax.plot([c, c], [amplitude, 4.3], color="gray", ls="--", lw=0.9)
ax.annotate("", xy=(crest1, 4.1), xytext=(crest2, 4.1), arrowprops=dim)
ax.text((crest1 + crest2) / 2, 4.3, "0.80 m", fontsize=13, ha="center", va="bottom")
# Amplitude: equilibrium line to trough.
trough = 3 * wavelength / 4
ax.plot([trough - 0.08, trough + 0.33], [-amplitude, -amplitude], color="gray", ls="--", lw=0.9)
ax.annotate("", xy=(trough + 0.28, 0), xytext=(trough + 0.28, -amplitude), arrowprops=dim)
ax.text(trough + 0.32, -amplitude / 2, "3.0 cm", fontsize=13, ha="left", va="center")
# Direction of travel.
ax.annotate(
    "",
    xy=(1.72, 5.1),
    xytext=(1.38, 5.1),
    arrowprops=dict(arrowstyle="-|>", lw=2.0, color="#c0392b", mutation_scale=18),
)
ax.text(1.55, 5.35, "v = 4.0 m/s", fontsize=13, ha="center", va="bottom", color="#c0392b")

ax.set_xlim(-0.05, 1.95)
ax.set_ylim(-4.6, 6.2)
fig.tight_layout()
fig.savefig("figure.png")
