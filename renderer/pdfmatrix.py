"""PDF transformation matrices [a b c d e f] (ISO 32000-1, 8.3.3-8.3.4, row-vector
convention): shared by the typesetter's finishing pass and the preflight's readers."""

from __future__ import annotations

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def multiply(first: Matrix, then: Matrix) -> Matrix:
    """Matrix product first x then: `first` applied, then `then`."""
    a, b, c, d, e, f = first
    A, B, C, D, E, F = then
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D,
            e * A + f * C + E, e * B + f * D + F)


def transform(matrix: Matrix, x: float, y: float) -> tuple[float, float]:
    """The point (x, y) under the matrix."""
    a, b, c, d, e, f = matrix
    return (x * a + y * c + e, x * b + y * d + f)
