"""LINE Login for Django: a social-core backend, linked accounts, admin and an emulator."""

__version__ = "0.1.0"
