"""The site's user model as a type for annotations.

AUTH_USER_MODEL is Django's own ``auth.User`` (see settings.py). Services annotate the users they are
given with ``User`` from here rather than AbstractBaseUser, which has no ``has_perm`` and is not what the
foreign keys to the user model accept. Should the project ever swap the user model, change this import.
"""

from django.contrib.auth.models import User

__all__ = ["User"]
