"""The model and its vectorised machinery: scenarios, network, profiles, loads, ledger, metrics."""
