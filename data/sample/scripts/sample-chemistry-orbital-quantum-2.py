"""Valence molecular-orbital diagram of O2 (sigma2p below pi2p, as for O2/F2), filled with 12 electrons."""
import matplotlib.pyplot as plt

W = 0.9  # width of one orbital line
fig, ax = plt.subplots(figsize=(8, 6))
ax.axis("off")


def level(xc, y, n, electrons, label=None, label_side="right"):
    """n degenerate orbitals centred at xc; fill with Hund's rule; return (left x, right x)."""
    gap = 0.25
    total = n * W + (n - 1) * gap
    left = xc - total / 2
    spins = [[] for _ in range(n)]
    for k in range(electrons):
        spins[k % n].append(k < n)
    for i in range(n):
        x = left + i * (W + gap)
        ax.plot([x, x + W], [y, y], color="black", lw=2.2)
        for up in spins[i]:
            dx = 0.32 if up else 0.58
            y0, y1 = (y - 0.22, y + 0.26) if up else (y + 0.22, y - 0.26)
            ax.annotate("", xy=(x + dx, y1), xytext=(x + dx, y0),
                        arrowprops=dict(arrowstyle="-|>", lw=1.5, color="#b03a2e", mutation_scale=11))
    if label:
        if label_side == "below":  # centred under the level, clear of the correlation lines
            ax.text(xc, y - 0.3, label, ha="center", va="top", fontsize=13)
        elif label_side == "right":
            ax.text(left + total + 0.2, y, label, ha="left", va="center", fontsize=13)
        else:
            ax.text(left - 0.2, y, label, ha="right", va="center", fontsize=13)
    return left, left + total


def link(a, b, ya, yb):
    ax.plot([a, b], [ya, yb], color="grey", lw=1, ls="--")


XL, XM, XR = 1.7, 6.0, 10.3
Y2S, Y2P = 1.0, 5.2
# atomic orbitals of each O atom: 2s^2 2p^4
l2s = level(XL, Y2S, 1, 2, "2s", "left")
r2s = level(XR, Y2S, 1, 2, "2s", "right")
l2p = level(XL, Y2P, 3, 4, "2p", "left")
r2p = level(XR, Y2P, 3, 4, "2p", "right")
ax.text(XL, Y2S - 0.55, "-32.4 eV", ha="center", va="top", fontsize=12, color="#1f4e9a")
ax.text(XL, Y2P - 0.55, "-15.9 eV", ha="center", va="top", fontsize=12, color="#1f4e9a")

# molecular orbitals (valence), filled with 12 electrons
mos = [
    (0.2, 1, 2, "σ2s"),
    (1.8, 1, 2, "σ*2s"),
    (3.3, 1, 2, "σ2p"),
    (4.4, 2, 4, "π2p"),
    (6.1, 2, 2, "π*2p"),
    (7.3, 1, 0, "σ*2p"),
]
for y, n, e, name in mos:
    lo, hi = level(XM, y, n, e, name, "below")
    if "2s" in name:
        link(l2s[1], lo, Y2S, y)
        link(r2s[0], hi, Y2S, y)
    else:
        link(l2p[1], lo, Y2P, y)
        link(r2p[0], hi, Y2P, y)

for x, head in ((XL, "O atom"), (XM, "O2 molecule"), (XR, "O atom")):
    ax.text(x, 8.2, head, ha="center", va="center", fontsize=14, weight="bold")
ax.text(XM, -1.0, "12 valence electrons", ha="center", va="center", fontsize=13)
ax.annotate("", xy=(-0.4, 7.6), xytext=(-0.4, -0.4), arrowprops=dict(arrowstyle="-|>", lw=1.4))
ax.text(-0.6, 3.6, "Energy", rotation=90, ha="right", va="center", fontsize=14)
ax.set_xlim(-1.2, 12.2)
ax.set_ylim(-1.4, 8.6)
fig.tight_layout()
fig.savefig("figure.png")
