"""Incidents (S3.3-S3.7): the graded incident engine, the only code that writes the incident
tables. Its modules, along the engine's parts:

- :mod:`.reporting`: open, group and raise by the plan's thresholds; a level set by hand;
- :mod:`.lifecycle`: acknowledge, note, resolve, close;
- :mod:`.reviews`: the playbook's steps, the after-action review and its measures;
- :mod:`.deadlines`: the ticker that warns and escalates, each deadline exactly once;
- :mod:`.notices`: the message text people are told, in their language;
- :mod:`.followups`: the notices, pages and client matching of a detected incident, done
  after it commits (a durable, retried queue);
- :mod:`.queries`: reading incidents, and the guards the writers share.

Beside them :mod:`.timeline` and :mod:`.timeline_text` (timeline rows and their sentences),
:mod:`.presenters` and :mod:`.export` (views and the review export); :mod:`.api` and :mod:`.cli`
sit on top.
"""
