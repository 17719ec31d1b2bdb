"""A user's theorem module: declared as data, checked like the built-in ones."""

import sympy

from proofs import Claim, Provenance, Theorem

m = sympy.Symbol("m", integer=True, positive=True)

sawtooth_width_user = Theorem(
    id="user/sawtooth-width",
    name="sawtooth_width_le_four",
    label="U1",
    title="The sawtooth network has width at most 4",
    paper="user",
    statement="The Yarotsky network f_m has width <= 4.",
    statement_provenance=Provenance.OURS,
    claims=(
        Claim(
            name="width_le_four",
            check="size_formula",
            statement="width <= 4",
            args={
                "construction": "constructions.yarotsky:sawtooth_square",
                "quantity": "width",
                "formula": sympy.Integer(4),
                "relation": "le",
            },
            quick=({"m": 2},),
            provenance=Provenance.OURS,
        ),
    ),
)
