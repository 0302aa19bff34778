"""What Twilio *is*: SIDs, errors, resource fields. No HTTP and no SQL in here."""
