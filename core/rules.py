"""Who may read the audit log (core.audit_views): administrators, and an account an administrator gave
auditlog's own "Can view log entry" permission in the admin (a data protection officer who needs nothing
else). Facilitators do not: the log names every member of staff's actions, their own included."""

import rules

from .users import User


@rules.predicate
def may_view_log_entries(user: User) -> bool:
    return bool(user.has_perm("auditlog.view_logentry"))


rules.add_perm("core.view_audit_log", rules.is_authenticated & (rules.is_superuser | may_view_log_entries))
