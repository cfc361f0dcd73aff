"""Where deliveries come from. Each source kind turns a spec into raw bytes plus where they came from."""

from .base import RawDelivery
from .connections import ConnectionInfo, Resolver, from_environment
from .dropzone import DropZone

__all__ = ["ConnectionInfo", "DropZone", "RawDelivery", "Resolver", "from_environment"]
