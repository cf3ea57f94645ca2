"""IR transmittance spectrum of an unknown C3H6O (propanone-like band pattern), main bands labelled."""
import matplotlib.pyplot as plt
import numpy as np

# (wavenumber / cm^-1, depth in % transmittance, half width / cm^-1)
BANDS = [
    (3005, 16, 20), (2965, 30, 22), (2925, 14, 20),
    (1715, 95, 22), (1420, 38, 16), (1362, 70, 14), (1220, 70, 18),
    (1092, 20, 12), (902, 12, 10), (530, 40, 14),
]
nu = np.linspace(400, 4000, 3600)
absorbance = np.zeros_like(nu)
for centre, depth, width in BANDS:
    absorbance += (depth / 100) * width**2 / ((nu - centre) ** 2 + width**2)
transmittance = 96 * np.exp(-1.4 * absorbance)

fig, ax = plt.subplots(figsize=(8, 4.8))
ax.plot(nu, transmittance, color="black", lw=1.2)
ax.set_xlim(4000, 400)
ax.set_ylim(0, 105)
ax.set_xlabel("Wavenumber (cm⁻¹)", fontsize=13)
ax.set_ylabel("Transmittance (%)", fontsize=13)
ax.tick_params(labelsize=11)
for centre in (2965, 1715, 1362, 1220):
    t_min = float(np.interp(centre, nu, transmittance))
    offset = {1715: -15, 1362: -5, 1220: 25}.get(centre, 0)  # points; keeps the close labels apart
    ax.annotate(str(centre), xy=(centre, t_min - 1), xytext=(offset, -20), textcoords="offset points",
                ha="center", va="top", fontsize=12, color="#b03a2e",
                arrowprops=dict(arrowstyle="-", color="#b03a2e", lw=0.8))
ax.set_title("IR spectrum of C3H6O (liquid film)", fontsize=14)
fig.tight_layout()
fig.savefig("figure.png")
