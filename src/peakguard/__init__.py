"""PeakGuard: keeps an e-commerce peak day (Double 11) under control.

Three plans from the source document live here as code and data: the shop's contingency plan
(S1), the overflow warehouse run as a service (S2) and the express network's graded emergency
plan (S3). See ``../shared/SPEC.md`` for the numbered requirements.
"""

__version__ = "0.1.0"
