"""Deliver: the last stage, getting built editions to readers.

    files.py         atomic writes of the outputs, one build at a time
    mail/            email edition -> one MIME message per subscriber, SMTP or .eml outbox
    ledger.py        SQLite record of each delivery, makes a mailing resumable
    subscribers.py   subscriber CSV -> validated subscribers and rejected rows

Import the submodules directly (`from renderer.deliver.mail import plan_mail`):
this package module stays empty so importing it costs nothing.
"""
