"""Invitation services, split by concern:

- ``invitees``: building a programme's invitation list (one person, a CSV file, the neighbourhood's groups)
- ``schedule``: turning session dates and lead times into outbox rows, and keeping them in step
- ``outbox``: claiming due rows and sending them, exactly once where the mail server allows
- ``emails``: rendering one message for one person
"""
