"""Hydrogen-atom energy levels E_n = -13.6 eV / n^2 with the n = 3 -> n = 2 emission drawn."""
import matplotlib.pyplot as plt

LEVELS = [(1, "-13.6 eV"), (2, "-3.40 eV"), (3, "-1.51 eV"), (4, "-0.85 eV")]

fig, ax = plt.subplots(figsize=(6.5, 6))
ax.axis("off")
x0, x1 = 0.0, 4.0
for n, label in LEVELS:
    e = -13.6 / n**2
    ax.plot([x0, x1], [e, e], color="black", lw=2)
    ax.text(x0 - 0.15, e, f"n = {n}", ha="right", va="center", fontsize=13)
    ax.text(x1 + 0.15, e, label, ha="left", va="center", fontsize=13)
ax.plot([x0, x1], [0, 0], color="black", lw=1.5, ls="--")
ax.text(x0 - 0.15, 0, "n = ∞", ha="right", va="center", fontsize=13)
ax.text(x1 + 0.15, 0, "0 eV", ha="left", va="center", fontsize=13)

# the electron's downward transition 3 -> 2
e3, e2 = -13.6 / 9, -13.6 / 4
ax.annotate("", xy=(2.0, e2), xytext=(2.0, e3),
            arrowprops=dict(arrowstyle="-|>", lw=2.2, color="#b03a2e", mutation_scale=18))
ax.annotate("photon emitted", xy=(2.05, (e2 + e3) / 2), xytext=(2.6, -6.0), fontsize=13, color="#b03a2e",
            ha="left", va="center", arrowprops=dict(arrowstyle="-", color="#b03a2e", lw=0.8))
ax.plot(2.0, e3, "o", color="#1f4e9a", ms=8)

ax.annotate("", xy=(-1.3, 1.0), xytext=(-1.3, -14.3), arrowprops=dict(arrowstyle="-|>", lw=1.4))
ax.text(-1.5, -6.5, "Energy", rotation=90, ha="right", va="center", fontsize=14)
ax.set_title("Hydrogen atom energy levels", fontsize=15)
ax.set_xlim(-2.0, 5.6)
ax.set_ylim(-14.6, 1.2)
fig.tight_layout()
fig.savefig("figure.png")
