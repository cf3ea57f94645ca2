"""Orbital box diagram of a ground-state Fe atom in Aufbau energy order (4s below 3d), Hund's rule in 3d."""
import matplotlib.pyplot as plt

BOX_W, BOX_H = 0.7, 0.55
# subshell: (energy level on the drawing, x of the first box, number of electrons)
SUBSHELLS = {
    "1s": (0.0, 0.8, 2),
    "2s": (1.5, 0.8, 2),
    "2p": (2.3, 2.6, 6),
    "3s": (3.6, 0.8, 2),
    "3p": (4.4, 2.6, 6),
    "4s": (5.6, 0.8, 2),
    "3d": (6.4, 5.6, 6),
}
N_ORBITALS = {"s": 1, "p": 3, "d": 5}


def fill(n_orbitals, electrons):
    """Hund's rule: one up-spin per orbital first, then pair from the first orbital."""
    spins = [[] for _ in range(n_orbitals)]
    for k in range(electrons):
        spins[k % n_orbitals].append("up" if k < n_orbitals else "down")
    return spins


fig, ax = plt.subplots(figsize=(8, 6))
ax.axis("off")
for name, (y, x0, electrons) in SUBSHELLS.items():
    n = N_ORBITALS[name[1]]
    for i, spins in enumerate(fill(n, electrons)):
        x = x0 + i * BOX_W
        ax.add_patch(plt.Rectangle((x, y), BOX_W, BOX_H, fc="white", ec="black", lw=1.4))
        for spin in spins:
            dx = 0.24 if spin == "up" else 0.46
            y_tail, y_head = (y + 0.08, y + BOX_H - 0.06) if spin == "up" else (y + BOX_H - 0.08, y + 0.06)
            ax.annotate("", xy=(x + dx, y_head), xytext=(x + dx, y_tail),
                        arrowprops=dict(arrowstyle="-|>", lw=1.6, color="#b03a2e", mutation_scale=12))
    ax.text(x0 - 0.15, y + BOX_H / 2, name, ha="right", va="center", fontsize=14)

# energy axis
ax.annotate("", xy=(-0.3, 7.4), xytext=(-0.3, -0.2), arrowprops=dict(arrowstyle="-|>", lw=1.5))
ax.text(-0.5, 3.6, "Energy", rotation=90, ha="right", va="center", fontsize=14)

ax.text(4.6, 7.7, "Fe (Z = 26)   ground state", ha="center", va="center", fontsize=15)
ax.set_xlim(-1.0, 9.5)
ax.set_ylim(-0.4, 8.1)
fig.tight_layout()
fig.savefig("figure.png")
