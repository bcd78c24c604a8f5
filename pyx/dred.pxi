# dred layer: filled in by its owner.
