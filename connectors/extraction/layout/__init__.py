"""The layout-aware invoice parser: header fields and the line table from words and their positions."""
