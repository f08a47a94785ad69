"""Print a fresh VAPID key pair for web push, ready to paste into the environment."""

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management.base import BaseCommand


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def new_vapid_keys() -> tuple[str, str]:
    """(public, private), both base64url without padding: the public key as the uncompressed
    P-256 point the browser's applicationServerKey takes, the private key as the raw
    32-byte scalar pywebpush (py_vapid) reads."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    private = key.private_numbers().private_value.to_bytes(32, "big")
    return b64url(public), b64url(private)


class Command(BaseCommand):
    help = (
        "Print a new VAPID key pair for web push as VAPID_PUBLIC_KEY=… and VAPID_PRIVATE_KEY=… "
        "lines. Changing the keys invalidates every existing push subscription."
    )

    def handle(self, *args, **options) -> None:
        public, private = new_vapid_keys()
        self.stdout.write(f"VAPID_PUBLIC_KEY={public}")
        self.stdout.write(f"VAPID_PRIVATE_KEY={private}")
