"""A generated, labelled zh/en development corpus for the PI detector (issue 18).

``generate(n, seed=...)`` returns ``n`` documents of 50-1,200 UTF-8 bytes: call-back remarks,
support notes, invoices, access and application logs, code snippets and mixed zh/en CRM notes.
Each ``Doc`` carries the exact ``(type, start, end)`` spans (``str`` offsets) of the personal
information in it and the spans of the near misses planted beside it (``decoys``: wrong check
digits, impossible dates, version strings, order numbers ...), which must yield nothing.

The values are built from each identifier's published rules (GB 11643, GB 32100 / GB 11714,
Luhn, NANP, Ofcom and PRC mobile number plans), not from the detector's code, so the corpus is
an honest yardstick. A bank account is a digit run (10-22) right after a context word
(银行账号, 账号, 开户账号, bank account, account no.) that is NOT Luhn-valid: a Luhn-valid run
with a card prefix is a ``bank_card`` however it is introduced. No generated document holds an
unlabelled value that a rule would accept (``rules.stray`` rejects and redraws it), and no
labelled value is also valid as another type.

``rules`` holds the check algorithms and that oracle, ``values`` the generators of valid values
and near misses, ``documents`` the templates and their assembly.
"""

from piwarden.discovery.corpus.documents import Doc, generate

__all__ = ["Doc", "generate"]
