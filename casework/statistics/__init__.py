"""The s.104(9) figures: compiled, approved, published as immutable versions."""
