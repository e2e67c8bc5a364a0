"""The SOP's rules as plain Python: no Django, no ORM, no Celery.

This package is the domain core that both apps stand on (docs/rules.md explains the
rules S1-S11 it implements). Data flows one way: the ``policy`` app reads the
published policy from the database into a :class:`rules.snapshot.Policy`, the
``scoring`` app turns stored transcripts into :class:`rules.transcript.TranscriptIn`,
and the functions here answer from those plain values alone:

- :mod:`rules.vocabulary`: the words of the SOP (elements, visibility, kinds, slots,
  senders, results, flags);
- :mod:`rules.snapshot`: the policy as published, frozen for one scoring run;
- :mod:`rules.templates`: greeting templates (parsing, validation, rendering);
- :mod:`rules.resolver`: what is owed when (S1, S3-S7);
- :mod:`rules.text` and :mod:`rules.matching`: the text as the matcher reads it (S8);
- :mod:`rules.engine`: the verdict on a transcript, one step per rule.

Nothing here imports from ``policy``, ``scoring``, ``config`` or Django; a test checks it.
"""
