"""Invitation services, split by concern:

- ``invitees``: building a programme's invitation list (one person, a CSV file, the neighbourhood's groups)
- ``schedule``: turning session dates and lead times into outbox rows, and keeping them in step
- ``kinds``: the invitations' kinds of message as the one outbox (core.outbox) carries them
- ``emails``: rendering one message for one person
"""
