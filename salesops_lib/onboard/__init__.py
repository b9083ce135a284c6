"""Onboarding a new CRM export: profile its files, draft a mapping, validate the draft.

``salesops onboard DIR`` runs :func:`onboard`: :mod:`.profile` reads every file and sheet,
:mod:`.match` reads headers and values against ``synonyms.yaml``, :mod:`.draft` plans the
mapping, :mod:`.render` writes it with ``# GUESS``/``# TODO`` notes and :mod:`.run` validates it
and says which reports will run.
"""

from salesops_lib.onboard.run import Outcome, onboard, summary

__all__ = ["Outcome", "onboard", "summary"]
