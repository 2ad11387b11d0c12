"""Reminders to sellers and the morning digest to heads, sent by `salespulse worker`.

schedule.py   when each is due, in the recipient's own time zone (plain Python)
reminders.py  which sellers get a reminder now, and what it says
digest.py     which heads get a digest now, and what it says
jobs.py       one e-mail to send and the claim that stops two workers sending it twice
mail.py       the three templates (subject, text, HTML) rendered in the site's language
worker.py     one pass: collect, claim, send, record
"""
