"""The evaluations app's pages: signing people in and who came (attendance), and one word each (words)."""
