"""Compliance: the run ledger, the per-agency KPI, reminders, reports and the stewards' figures."""
