"""Facts about a model, each with its evidence, and the extractors that find them."""
