"""The demo neighbourhood that `make run` sets up (seed_demo). It sits at the top: it imports every app to
make a programme that has really happened, and no app imports it."""
