"""Training the answer selector: `make train` (python -m training)."""
