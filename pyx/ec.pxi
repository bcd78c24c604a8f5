# ec layer: filled in by its owner.
