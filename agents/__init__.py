"""Who decides: the grid company and its customers, each a row in a model table."""
