"""Background work, whatever runs it: Celery and beat in service mode, threads when embedded.

A leaf: it imports no app of the console.  Apps hand it tasks by their registered name, and
each task imports its own service inside its body.
"""
