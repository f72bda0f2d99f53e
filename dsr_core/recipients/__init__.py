"""Recipients of personal data (GDPR Art. 19 and 15(1)(c)): the register and the notices.

One job per module:

- :mod:`.settings` reads the ``[notices]`` table of ``dsr.toml``;
- :mod:`.register` keeps the suppliers (``dsr suppliers add|edit|list|show``);
- :mod:`.disclosures` records which subject's data went to which supplier, and finds a
  request's actual recipients (the identities each one holds, the categories, since when);
- :mod:`.derive` derives disclosures from another system's records (a CRM column naming the
  carrier), through ``[[notices.derive]]`` rules;
- :mod:`.notices` creates one notice per request and recipient, acknowledges, waives and
  says what still blocks a request;
- :mod:`.transports` builds the e-mail and webhook transports of ``dsr_plugins.suppliers``;
- :mod:`.locks` makes sure one process at a time sends a given notice;
- :mod:`.outbox` sends notices (record, then send, then mark) and resends them;
- :mod:`.remind` re-sends unconfirmed notices and names the late suppliers (cron);
- :mod:`.notify` is what the engine calls when a request's tasks are finished.

Importing this package is cheap: every module imports what it needs itself.
"""

from __future__ import annotations
