"""Acetic acid drawn with RDKit, with the given bond lengths labelled on their bonds."""
import io

import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np
from rdkit import Chem
from rdkit.Chem import rdDepictor
from rdkit.Chem.Draw import rdMolDraw2D

W, H = 700, 520
mol = Chem.AddHs(Chem.MolFromSmiles("CC(=O)O"))
rdDepictor.SetPreferCoordGen(True)
rdDepictor.Compute2DCoords(mol)

drawer = rdMolDraw2D.MolDraw2DCairo(W, H)
opts = drawer.drawOptions()
opts.bondLineWidth = 3
opts.minFontSize = 30
opts.padding = 0.12
opts.useBWAtomPalette()
drawer.DrawMolecule(mol)
drawer.FinishDrawing()
image = mpimg.imread(io.BytesIO(drawer.GetDrawingText()), format="png")
pos = {a.GetIdx(): np.array(drawer.GetDrawCoords(a.GetIdx())) for a in mol.GetAtoms()}

fig, ax = plt.subplots(figsize=(7.5, 5.6))
ax.imshow(image)
ax.set_xlim(0, W)
ax.set_ylim(H, 0)
ax.axis("off")


def bond_between(sym_a, sym_b, order):
    for b in mol.GetBonds():
        pair = {b.GetBeginAtom().GetSymbol(), b.GetEndAtom().GetSymbol()}
        if pair == {sym_a, sym_b} and b.GetBondTypeAsDouble() == order:
            if sym_a == sym_b == "C" or "H" not in pair or any(
                x.GetSymbol() == "O" for x in (b.GetBeginAtom(), b.GetEndAtom())
            ):
                return b.GetBeginAtomIdx(), b.GetEndAtomIdx()
    raise ValueError(f"no {sym_a}-{sym_b} bond of order {order}")


def label_bond(i, j, text, toward, dist=44):
    """Write a bond-length label beside the middle of bond i-j, on the side facing `toward` (pixels, y down)."""
    p, q = pos[i], pos[j]
    mid = (p + q) / 2
    d = q - p
    normal = np.array([-d[1], d[0]]) / np.linalg.norm(d)
    if np.dot(normal, toward) < 0:
        normal = -normal
    xy = mid + dist * normal
    ax.text(xy[0], xy[1], text, ha="center", va="center", fontsize=14, color="#1f4e9a",
            bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none", alpha=0.9))


label_bond(*bond_between("C", "O", 2.0), "121 pm", toward=(-1, 0), dist=64)
label_bond(*bond_between("C", "O", 1.0), "136 pm", toward=(1, 1))
label_bond(*bond_between("C", "C", 1.0), "152 pm", toward=(1, -1))
label_bond(*bond_between("O", "H", 1.0), "97 pm", toward=(-1, 1))

ax.set_title("Acetic acid, CH3COOH (bond lengths in pm)", fontsize=15)
fig.tight_layout()
fig.savefig("figure.png")
