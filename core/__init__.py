"""The floor: what every app shares and that imports no app of ours.

The image helper, safe PDF rendering and the PDF job lifecycle, token pages and the rate limit, the outbox
of messages with its claim, retry and sweep, CSV safety, tokens, permission helpers, and healthz. An
import-linter contract (pyproject.toml) holds that nothing here imports events, invitations or any app
above them, nor the roof (bettertogether/).
"""
