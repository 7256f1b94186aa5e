"""The evaluations app's services, one module per topic."""
