# weights layer: filled in by its owner.
