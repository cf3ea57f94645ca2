"""Electron-impact mass spectrum (stick plot) of compound X with an M / M+2 pair of near-equal height."""
import matplotlib.pyplot as plt

PEAKS = {26: 12, 27: 48, 28: 16, 29: 100, 79: 7, 81: 7, 108: 62, 110: 60}
LABELLED = (27, 29, 79, 81, 108, 110)

fig, ax = plt.subplots(figsize=(8, 4.8))
for mz, height in PEAKS.items():
    ax.vlines(mz, 0, height, color="black", lw=2.2)
for mz in LABELLED:
    # the close pairs are labelled to the left/right of their sticks to stay apart
    ha = "right" if mz in (27, 79, 108) else "left" if mz in (29, 81, 110) else "center"
    dx = {"right": 0.4, "left": -0.4}.get(ha, 0)
    ax.text(mz + dx, PEAKS[mz] + 2, str(mz), ha=ha, va="bottom", fontsize=12, color="#b03a2e")
ax.set_xlim(0, 125)
ax.set_ylim(0, 115)
ax.set_xlabel("m/z", fontsize=13)
ax.set_ylabel("Relative abundance (%)", fontsize=13)
ax.tick_params(labelsize=11)
ax.spines[["top", "right"]].set_visible(False)
ax.set_title("Mass spectrum of compound X", fontsize=14)
fig.tight_layout()
fig.savefig("figure.png")
