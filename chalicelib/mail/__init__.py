"""Email: the tenant's messages (password reset, email verification, sign-up) sent through
Amazon SES, off the user's path.

A page that sends mail never sends it itself: it counts the request against the abuse limits
and puts a job on the queue (``jobs.enqueue``), the same work whatever was typed, so neither
its answer nor its timing tells whether an account exists. The queue's consumer does the
rest (``jobs.deliver``): looks the account up, mints the link's single-use token (stored as a
digest, ``chalicelib.store.mailtokens``), renders the tenant's message (``messages``) and
sends it (``ses``). No credential travels through the queue: the token is made where it is
sent.
"""
