"""What the networks tell the apps above them, which they may not import.

`applied` is sent inside the transaction that records a citizen's application to join, once
its membership row is written, with `membership`. A receiver that writes does so in the same
transaction: the privacy app records the consents the applicant gave (the privacy notice and
the BIN's charter), so an application never exists without them.
"""

from django.dispatch import Signal

applied = Signal()
