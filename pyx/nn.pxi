# nn layer: filled in by its owner.
