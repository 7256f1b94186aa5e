"""The actions app's pages: the team's (planning) and the lead's, opened from their link (lead)."""
