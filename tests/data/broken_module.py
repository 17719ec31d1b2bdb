import sympy
def broken(:
    pass
