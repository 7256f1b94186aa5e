"""A short, plain list of obviously rude English words. A word from a phone that matches one of these
(whole word, after normalisation) is held back: it is never shown unless the facilitator approves it.

Deliberately short: the facilitator approves every phone word anyway; this only stops the obvious ones
reaching the approval queue looking like any other word.
"""

PROFANITY: frozenset[str] = frozenset(
    {
        "arse",
        "arsehole",
        "ass",
        "asshole",
        "bastard",
        "bitch",
        "bollock",
        "bullshit",
        "crap",
        "cunt",
        "dick",
        "fuck",
        "fucked",
        "fucker",
        "fucking",
        "piss",
        "pissed",
        "prick",
        "shit",
        "shite",
        "shitty",
        "slag",
        "twat",
        "wank",
        "wanker",
    }
)
