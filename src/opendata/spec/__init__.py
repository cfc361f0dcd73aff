"""Dataset and agency specifications, and the one loader of include/datasets/."""

from .loader import Registry, SpecProblem, load_registry
from .models import Agency, City, ColumnSpec, DatasetSpec, Frequency

__all__ = ["Agency", "City", "ColumnSpec", "DatasetSpec", "Frequency", "Registry", "SpecProblem", "load_registry"]
