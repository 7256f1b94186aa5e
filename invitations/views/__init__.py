"""The invitations app's pages, one module per concern."""
