"""Telling people: receipts to agencies now, reminders to agencies and stewards later (compliance)."""
