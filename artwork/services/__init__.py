"""Artwork's domain functions, one module per topic (uploads: saving pictures and making their sizes)."""
