"""claimwatch: follow a contested news story from inside the chat rooms where people work."""

__version__ = "0.1.0"
