"""The interactive Solara view (arrives with the view issue)."""
