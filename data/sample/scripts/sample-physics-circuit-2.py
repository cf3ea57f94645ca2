"""Series RC charging circuit: 9.0 V battery, open switch S, 2.0 kΩ resistor, uncharged 50 μF capacitor."""

import matplotlib.pyplot as plt
import schemdraw
import schemdraw.elements as elm

fig, ax = plt.subplots(figsize=(8, 5))
d = schemdraw.Drawing(canvas=ax, show=False)
d.config(fontsize=14, unit=3.5)

battery = d.add(elm.Battery().up().reverse().label("9.0 V", loc="bottom", ofst=0.4))
d.add(elm.Switch().right().label("S"))
d.add(elm.Resistor().right().label("R = 2.0 kΩ"))
d.add(elm.Capacitor().down().label("C = 50 μF", loc="bottom"))
d.add(elm.Line().left().tox(battery.start))

d.draw(show=False)
ax.set_aspect("equal")
ax.margins(0.06)
ax.axis("off")
fig.tight_layout()
fig.savefig("figure.png")
