"""One module per echelon behaviour; each works on every node of its kind at once."""
