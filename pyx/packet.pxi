# packet layer: filled in by its owner.
