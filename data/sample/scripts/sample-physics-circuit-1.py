"""12 V battery driving R1 in series with the parallel pair R2 || R3 (schemdraw on a Matplotlib axes)."""

import matplotlib.pyplot as plt
import schemdraw
import schemdraw.elements as elm

fig, ax = plt.subplots(figsize=(8, 5.5))
d = schemdraw.Drawing(canvas=ax, show=False)
d.config(fontsize=14, unit=3.5)

battery = d.add(elm.Battery().up().label("12 V", loc="bottom", ofst=0.4).reverse())
d.add(elm.Resistor().right().label("R1 = 4 Ω"))
top_node = d.add(elm.Dot())
d.add(elm.Line().right())
d.add(elm.Resistor().down().label("R3 = 3 Ω", loc="bottom"))
d.add(elm.Line().left())
bottom_node = d.add(elm.Dot())
d.add(elm.Line().left().to(battery.start))
d.add(elm.Resistor().at(top_node.center).down().to(bottom_node.center).label("R2 = 6 Ω", loc="bottom"))
d.add(elm.CurrentLabelInline(direction="in").at(battery).label("I", loc="bottom"))

d.draw(show=False)
ax.set_aspect("equal")
ax.margins(0.06)
ax.axis("off")
fig.tight_layout()
fig.savefig("figure.png")
