"""Readiness before the day and on it (S1): the risk register with its checklists, the day's
timeline reminders (S1.8), quick replies to buyers, and drills that rehearse an incident."""
