"""The words of the questions about what would help someone come: asked on the reply page
(forms.ReplyForm) and printed on the letter's tear-off slip (templates/letters/_slip.html), so that a
parent reads the same question on paper and on screen, and it is translated once."""

from django.utils.translation import gettext_lazy as _

# In the order of the reply page and of the slip.
QUESTIONS = {
    "childcare_children": _("How many children will need the crèche?"),
    "childcare_ages": _("How old are they?"),
    "food_needs": _("Is there anything we should know about food?"),
    "access_needs": _("Is there anything that would make it easier for you to get in or take part?"),
    "interpreter": _("An interpreter would help me"),
    "interpreter_language": _("Which language?"),
    "transport_help": _("I would like help getting there"),
    "extra_places": _("How many people are you bringing with you?"),
}

HINTS = {
    "childcare_ages": _("In years, for example: 2, 4"),
    "food_needs": _("For example: vegetarian, halal, or an allergy."),
    "access_needs": _("For example: a ramp, a hearing loop, large print or a quiet space."),
    "interpreter_language": _("Type any language, for example Polish or British Sign Language."),
    "extra_places": _("For example a partner, a grandparent or a friend. Write 0 if nobody."),
}
