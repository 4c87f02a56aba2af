"""The pure domain: deal values, parsing of Brevo records and the business rules.

Nothing here does I/O or imports SQLAlchemy, httpx or the Brevo SDK; time comes in as `now`.
"""
