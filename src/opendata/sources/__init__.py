"""Where deliveries come from. Each source kind turns a spec into raw bytes plus where they came from."""

from .base import RawDelivery
from .dropzone import DropZone

__all__ = ["DropZone", "RawDelivery"]
